// Tests for the .info discovery file and the control-file cache.
#include "sim/info_file.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>

#include "sim/control_file.hpp"
#include "sim/files.hpp"

namespace sim {
namespace {

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/sim_info_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

using InfoFileTest = TempDir;
using ControlFileTest = TempDir;

TEST_F(InfoFileTest, PathsAndContent) {
  EXPECT_EQ(InfoFilePath("/w", InfoFormat::kLines), "/w/.info");
  EXPECT_EQ(InfoFilePath("/w/", InfoFormat::kJson), "/w/.info.json");
  EXPECT_EQ(InfoFileContent(InfoFormat::kLines, 37010, 4242), "37010\n4242");
  EXPECT_EQ(boost::json::parse(InfoFileContent(InfoFormat::kJson, 37010, 4242)),
            boost::json::parse(R"({"websocketPort":37010,"pid":4242,"ipcServerPath":""})"));
}

TEST_F(InfoFileTest, WriteAtomicallyAndRemoveOnlyOurs) {
  const std::string path = InfoFilePath(dir_, InfoFormat::kLines);
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(path, "1\n2", error)) << error;
  EXPECT_EQ(*ReadSmallFile(path), "1\n2");
  RemoveInfoFileIfOurs(path, "9\n9");  // someone else's now
  EXPECT_TRUE(std::filesystem::exists(path));
  RemoveInfoFileIfOurs(path, "1\n2");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(ReadSmallFile(path).has_value());
}

TEST_F(InfoFileTest, StaleInfoNamesADeadPid) {
  std::string error;
  ASSERT_TRUE(WriteStaleInfoFile(dir_, InfoFormat::kJson, error)) << error;
  const auto info = boost::json::parse(*ReadSmallFile(InfoFilePath(dir_, InfoFormat::kJson)));
  const auto pid = static_cast<pid_t>(info.at("pid").as_int64());
  EXPECT_GT(pid, 0);
  EXPECT_NE(::kill(pid, 0), 0);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_GT(info.at("websocketPort").as_int64(), 0);
}

TEST_F(ControlFileTest, MissingFileMeansBaseAndChangesApplyAtOnce) {
  const std::string path = dir_ + "/control.json";
  ControlFile control(path);
  Knobs base;
  base.deltas = 3;
  std::vector<std::string> warnings;
  EXPECT_EQ(control.Current(base, warnings).deltas, 3);

  std::ofstream(path) << R"({"deltas":8,"hang":true})";
  Knobs k = control.Current(base, warnings);
  EXPECT_EQ(k.deltas, 8);
  EXPECT_TRUE(k.hang);

  std::ofstream(path) << R"({"deltas":2,"bogus":1})";
  EXPECT_EQ(control.Current(base, warnings).deltas, 2);
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_EQ(control.Current(base, warnings).deltas, 2);
  EXPECT_EQ(warnings.size(), 1u);  // same content: not reported again

  std::filesystem::remove(path);
  EXPECT_EQ(control.Current(base, warnings).deltas, 3);
}

TEST(ControlFileNoPathTest, NoPathMeansBase) {
  ControlFile control("");
  Knobs base;
  base.think = true;
  std::vector<std::string> warnings;
  EXPECT_TRUE(control.Current(base, warnings).think);
}

}  // namespace
}  // namespace sim
