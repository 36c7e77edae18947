#include "app/readiness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace app {
namespace {

lingma::InstanceSnapshot Snap(lingma::InstanceState state, bool logged_in, std::string error = "") {
  lingma::InstanceSnapshot s;
  s.state = state;
  s.auth.logged_in = logged_in;
  s.auth.status = logged_in ? 2 : 1;
  s.auth.name = "someone@example.com";
  s.last_error = std::move(error);
  return s;
}

TEST(Readiness, ReadyWhenOneInstanceServes) {
  auto r = RenderReadiness({Snap(lingma::InstanceState::kFailed, false, "boom"),
                            Snap(lingma::InstanceState::kReady, true)},
                           false);
  EXPECT_EQ(r.http_status, 200);
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("status"), "ready");
  EXPECT_EQ(body.at("instances").as_array().size(), 2u);
  EXPECT_EQ(body.at("instances").as_array()[0].at("last_error"), "boom");
  EXPECT_FALSE(body.contains("message"));
}

TEST(Readiness, LoggedOutIsNotReadyAndSaysHowToLogIn) {
  auto r = RenderReadiness({Snap(lingma::InstanceState::kReady, false)}, false);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_NE(r.body.find("sign in"), std::string::npos);
  // Account names never leave through the open endpoint.
  EXPECT_EQ(r.body.find("someone@example.com"), std::string::npos);
}

TEST(Readiness, StartingAndFailedExplainThemselves) {
  EXPECT_NE(
      RenderReadiness({Snap(lingma::InstanceState::kStarting, false)}, true).body.find("starting"),
      std::string::npos);
  auto failed =
      RenderReadiness({Snap(lingma::InstanceState::kFailed, false, "not executable")}, false);
  EXPECT_EQ(failed.http_status, 503);
  EXPECT_NE(failed.body.find("not executable"), std::string::npos);
  EXPECT_EQ(RenderReadiness({}, false).http_status, 503);
}

}  // namespace
}  // namespace app
