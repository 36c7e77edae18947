#include "app/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace app {
namespace {

using std::chrono::milliseconds;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// A hermetic environment: its own variables and files, nothing from the machine running the test.
struct Sandbox {
  std::map<std::string, std::string> env{{"HOME", "/home/ann"}};
  std::map<std::string, std::string> files;
  std::vector<std::string> reads;

  LoadResult Load(std::vector<std::string> args = {}) {
    args.insert(args.begin(), "lingma-gateway");
    std::vector<const char*> argv;
    argv.reserve(args.size() + 1);
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    return LoadConfig(static_cast<int>(args.size()), argv.data(), env,
                      [this](const std::string& path) -> std::optional<std::string> {
                        reads.push_back(path);
                        const auto it = files.find(path);
                        if (it == files.end()) return std::nullopt;
                        return it->second;
                      });
  }

  // The ConfigError message of a load that must fail.
  std::string Error(std::vector<std::string> args = {}) {
    try {
      Load(std::move(args));
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "LoadConfig did not throw";
    return {};
  }
};

TEST(Config, DefaultsWithoutAnySource) {
  Sandbox box;
  const LoadResult r = box.Load();
  const Config& c = r.config;
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 8000);
  EXPECT_THAT(c.api_keys, IsEmpty());
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.lingma_mode, LingmaMode::kSpawn);
  EXPECT_EQ(c.lingma_bin, "");
  EXPECT_EQ(c.work_dir, "/home/ann/.cache/lingma-gateway");
  EXPECT_EQ(c.socket_port, 0);
  EXPECT_EQ(c.pool_size, 1);
  EXPECT_EQ(c.startup_timeout, milliseconds(30000));
  EXPECT_EQ(c.rpc_timeout, milliseconds(10000));
  EXPECT_EQ(c.chat_idle_timeout, milliseconds(120000));
  EXPECT_EQ(c.heartbeat_interval, milliseconds(30000));
  EXPECT_EQ(c.reconnect_initial, milliseconds(200));
  EXPECT_EQ(c.reconnect_max, milliseconds(10000));
  EXPECT_EQ(c.default_model, "auto");
  EXPECT_EQ(c.default_ask_mode, "chat");
  EXPECT_FALSE(c.simulator);
  EXPECT_EQ(c.simulator_bin, "");
  EXPECT_EQ(c.env_file, ".env");
  EXPECT_EQ(c.busy_poll, std::chrono::microseconds(0));  // off: an idle loop sleeps at once
  EXPECT_FALSE(r.show_help);
  EXPECT_FALSE(r.show_version);
  EXPECT_THAT(r.warnings, IsEmpty());
  EXPECT_THAT(box.reads, ElementsAre(".env"));  // a missing default .env is fine
}

TEST(Config, WorkDirFallsBackToTmpWithoutHome) {
  Sandbox box;
  box.env.clear();
  EXPECT_THAT(box.Load().config.work_dir, StartsWith("/tmp/lingma-gateway-"));
  box.env["HOME"] = "/root/";
  EXPECT_EQ(box.Load().config.work_dir, "/root/.cache/lingma-gateway");
}

TEST(Config, LaterSourcesWin) {
  Sandbox box;
  box.files[".env"] = "PORT=1001\nLOG_LEVEL=debug\nDEFAULT_MODEL=from-dotenv\nLINGMA_POOL_SIZE=3\n";
  box.env["PORT"] = "1002";
  box.env["DEFAULT_MODEL"] = "from-env";
  box.env["UNRELATED"] = "ignored without a warning";
  Config c = box.Load().config;
  EXPECT_EQ(c.port, 1002);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.default_model, "from-env");
  EXPECT_EQ(c.pool_size, 3);

  const LoadResult r = box.Load({"--port", "1003", "--lingma-pool-size=4"});
  EXPECT_EQ(r.config.port, 1003);
  EXPECT_EQ(r.config.pool_size, 4);
  EXPECT_EQ(r.config.default_model, "from-env");
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(Config, LastOccurrenceWinsWithinASource) {
  Sandbox box;
  box.files[".env"] = "PORT=1\nPORT=2\n";
  EXPECT_EQ(box.Load().config.port, 2);
  EXPECT_EQ(box.Load({"--port=3", "--port", "4"}).config.port, 4);
}

TEST(Config, FlagsTakeValueAfterEqualsOrAsNextArgument) {
  Sandbox box;
  const Config c =
      box.Load({"--host=::1", "--lingma-bin", "/opt/lingma/bin/Lingma",
                "--lingma-startup-timeout=2.5", "--api-keys", "k1,k2", "--default-model=qwen=max"})
          .config;
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.lingma_bin, "/opt/lingma/bin/Lingma");
  EXPECT_EQ(c.startup_timeout, milliseconds(2500));
  EXPECT_THAT(c.api_keys, ElementsAre("k1", "k2"));
  EXPECT_EQ(c.default_model, "qwen=max");  // only the first '=' separates
  // A value may start with a single dash; "--" starts the next flag instead.
  EXPECT_THAT(box.Load({"--api-keys", "-k"}).config.api_keys, ElementsAre("-k"));
}

TEST(Config, BareBooleanFlagMeansTrue) {
  Sandbox box;
  EXPECT_TRUE(box.Load({"--simulator"}).config.simulator);
  EXPECT_FALSE(box.Load({"--simulator=false"}).config.simulator);
  EXPECT_TRUE(box.Load({"--simulator=YES"}).config.simulator);
  box.env["SIMULATOR"] = "1";
  EXPECT_TRUE(box.Load().config.simulator);
  EXPECT_FALSE(box.Load({"--simulator=off"}).config.simulator);
  // A boolean flag does not consume the next argument, and the error says how to write it.
  EXPECT_THAT(box.Error({"--simulator", "false"}),
              AllOf(HasSubstr("'false'"), HasSubstr("--simulator=false")));
  EXPECT_THAT(box.Error({"--simulator=maybe"}),
              AllOf(HasSubstr("SIMULATOR"), HasSubstr("flag --simulator"), HasSubstr("true")));
}

TEST(Config, BadValuesNameSettingAndSource) {
  Sandbox box;
  EXPECT_THAT(box.Error({"--port", "80a"}),
              AllOf(HasSubstr("'80a'"), HasSubstr("PORT"), HasSubstr("flag --port"),
                    HasSubstr("0 to 65535")));
  EXPECT_THAT(box.Error({"--port=65536"}), HasSubstr("0 to 65535"));

  box.env["LINGMA_POOL_SIZE"] = "0";
  EXPECT_THAT(box.Error(),
              AllOf(HasSubstr("LINGMA_POOL_SIZE"),
                    HasSubstr("environment variable LINGMA_POOL_SIZE"), HasSubstr("1 to 64")));
  box.env.erase("LINGMA_POOL_SIZE");

  box.files[".env"] = "# timeouts\n\nLINGMA_RPC_TIMEOUT=-1\n";
  EXPECT_THAT(box.Error(), AllOf(HasSubstr("LINGMA_RPC_TIMEOUT"), HasSubstr("line 3 of .env"),
                                 HasSubstr("'-1'")));
  box.files[".env"] = "LOG_LEVEL=verbose\n";
  EXPECT_THAT(box.Error(), AllOf(HasSubstr("LOG_LEVEL"), HasSubstr("line 1 of .env"),
                                 HasSubstr("debug, info, warn, error")));
  box.files[".env"] = "LINGMA_MODE=proxy\n";
  EXPECT_THAT(box.Error(), AllOf(HasSubstr("LINGMA_MODE"), HasSubstr("spawn, attach")));
  box.files.clear();

  EXPECT_THAT(box.Error({"--host="}), AllOf(HasSubstr("HOST"), HasSubstr("empty")));
  EXPECT_THAT(box.Error({"--lingma-pool-size=65"}), HasSubstr("1 to 64"));
  EXPECT_THAT(box.Error({"--lingma-reconnect-initial-ms=0"}),
              HasSubstr("LINGMA_RECONNECT_INITIAL_MS"));
}

TEST(Config, ParsesSecondsAsDecimalNumbers) {
  Sandbox box;
  const Config c = box.Load({"--lingma-rpc-timeout=0.25", "--lingma-chat-idle-timeout", " 600 ",
                             "--lingma-heartbeat-interval=0"})
                       .config;
  EXPECT_EQ(c.rpc_timeout, milliseconds(250));
  EXPECT_EQ(c.chat_idle_timeout, milliseconds(600000));
  EXPECT_EQ(c.heartbeat_interval, milliseconds(0));  // 0 = off, allowed here only
  EXPECT_THAT(box.Error({"--lingma-rpc-timeout=0"}), HasSubstr("greater than 0"));
  EXPECT_THAT(box.Error({"--lingma-rpc-timeout=30s"}), HasSubstr("'30s'"));
  EXPECT_THAT(box.Error({"--lingma-rpc-timeout=inf"}), HasSubstr("LINGMA_RPC_TIMEOUT"));
  EXPECT_THAT(box.Error({"--lingma-rpc-timeout=nan"}), HasSubstr("LINGMA_RPC_TIMEOUT"));
  EXPECT_THAT(box.Error({"--lingma-startup-timeout=0.0001"}), HasSubstr("millisecond"));
  EXPECT_THAT(box.Error({"--lingma-heartbeat-interval=-1"}), HasSubstr("0 = off"));
}

TEST(Config, BusyPollIsWholeMicrosecondsUpToATenthOfASecond) {
  Sandbox box;
  EXPECT_EQ(box.Load({"--busy-poll-us=200"}).config.busy_poll, std::chrono::microseconds(200));
  box.env["BUSY_POLL_US"] = "100000";
  EXPECT_EQ(box.Load().config.busy_poll, std::chrono::microseconds(100000));
  box.env.clear();
  EXPECT_THAT(box.Error({"--busy-poll-us=100001"}),
              AllOf(HasSubstr("BUSY_POLL_US"), HasSubstr("0 to 100000")));
  EXPECT_THAT(box.Error({"--busy-poll-us=-1"}), HasSubstr("BUSY_POLL_US"));
  EXPECT_THAT(box.Error({"--busy-poll-us=0.5"}), HasSubstr("'0.5'"));
}

TEST(Config, ChoicesIgnoreLetterCase) {
  Sandbox box;
  box.env["LINGMA_MODE"] = "ATTACH";
  box.env["LOG_LEVEL"] = "Warn";
  const Config c = box.Load().config;
  EXPECT_EQ(c.lingma_mode, LingmaMode::kAttach);
  EXPECT_EQ(c.log_level, "warn");
}

TEST(Config, UnknownFlagSuggestsHelp) {
  Sandbox box;
  EXPECT_THAT(box.Error({"--prot=80"}),
              AllOf(HasSubstr("unknown flag --prot"), HasSubstr("did you mean --port?"),
                    HasSubstr("--help")));
  EXPECT_THAT(box.Error({"--work-dir", "/x"}), HasSubstr("did you mean --lingma-work-dir?"));
  EXPECT_THAT(box.Error({"--PORT=1"}), HasSubstr("did you mean --port?"));
  EXPECT_THAT(box.Error({"--completely-unrelated"}),
              AllOf(HasSubstr("unknown flag"), Not(HasSubstr("did you mean"))));
  EXPECT_THAT(box.Error({"-p", "80"}), HasSubstr("unknown flag -p"));
}

TEST(Config, PositionalArgumentsAreErrors) {
  Sandbox box;
  EXPECT_THAT(box.Error({"serve"}),
              AllOf(HasSubstr("unexpected argument 'serve'"), HasSubstr("--help")));
  EXPECT_THAT(box.Error({"--port", "1", "extra"}), HasSubstr("'extra'"));
  EXPECT_THAT(box.Error({"--"}), HasSubstr("unexpected argument"));
}

TEST(Config, FlagWithoutValueIsAnError) {
  Sandbox box;
  EXPECT_THAT(box.Error({"--port"}),
              AllOf(HasSubstr("--port needs a value"), HasSubstr("--port=PORT")));
  EXPECT_THAT(box.Error({"--host", "--port", "1"}), HasSubstr("--host needs a value"));
}

TEST(Config, HelpAndVersionWinOverEverythingElse) {
  Sandbox box;
  box.files[".env"] = "PORT=not a number\n";
  LoadResult r = box.Load({"--bogus", "-h"});
  EXPECT_TRUE(r.show_help);
  EXPECT_FALSE(r.show_version);
  EXPECT_THAT(box.reads, IsEmpty());
  EXPECT_EQ(r.config.port, 8000);
  r = box.Load({"--version"});
  EXPECT_TRUE(r.show_version);
  EXPECT_TRUE(box.Load({"-V"}).show_version);
  EXPECT_TRUE(box.Load({"--help"}).show_help);
}

TEST(Config, DotEnvSyntax) {
  Sandbox box;
  box.files[".env"] =
      "\xEF\xBB\xBF# a comment\n"
      "\n"
      "   # an indented comment\n"
      "export HOST=0.0.0.0\n"
      "PORT = 9000   # trailing comment\r\n"
      "API_KEYS=\"sk-1, sk\\\"2\\\\ \" # keys\n"
      "DEFAULT_MODEL='it''s' \n"
      "LINGMA_SIM_BIN='/opt/sim # not a comment'\n"
      "LINGMA_BIN=~/lingma/bin/Lingma\n"
      "LINGMA_WORK_DIR=$HOME/work\n"
      "\tLINGMA_SOCKET_PORT=36510\n"
      "LOG_LEVEL=\n"
      "DEFAULT_ASK_MODE=chat#literal\n";
  // Quoted text that ends before the line does: only a comment may follow.
  EXPECT_THAT(box.Error(), AllOf(HasSubstr("line 7 of .env"), HasSubstr("closing quote")));

  box.files[".env"] =
      "\xEF\xBB\xBF# a comment\n"
      "\n"
      "   # an indented comment\n"
      "export HOST=0.0.0.0\n"
      "PORT = 9000   # trailing comment\r\n"
      "API_KEYS=\"sk-1, sk\\\"2\\\\ \" # keys\n"
      "DEFAULT_MODEL='qwen \"max\"' \n"
      "LINGMA_SIM_BIN='/opt/sim # not a comment'\n"
      "LINGMA_BIN=~/lingma/bin/Lingma\n"
      "LINGMA_WORK_DIR=$HOME/work\n"
      "\tLINGMA_SOCKET_PORT=36510\n"
      "LINGMA_RPC_TIMEOUT=   # only a comment: the value is empty\n";
  EXPECT_THAT(box.Error(), AllOf(HasSubstr("LINGMA_RPC_TIMEOUT"), HasSubstr("line 12 of .env")));

  box.files[".env"].erase(box.files[".env"].rfind("LINGMA_RPC_TIMEOUT"));
  box.files[".env"] += "DEFAULT_ASK_MODE=chat\nLINGMA_HEARTBEAT_INTERVAL=5 #c#c\n";
  const LoadResult r = box.Load();
  EXPECT_EQ(r.config.host, "0.0.0.0");
  EXPECT_EQ(r.config.port, 9000);
  EXPECT_THAT(r.config.api_keys, ElementsAre("sk-1", "sk\"2\\"));
  EXPECT_EQ(r.config.default_model, "qwen \"max\"");
  EXPECT_EQ(r.config.simulator_bin, "/opt/sim # not a comment");
  EXPECT_EQ(r.config.lingma_bin, "/home/ann/lingma/bin/Lingma");
  EXPECT_EQ(r.config.work_dir, "/home/ann/work");
  EXPECT_EQ(r.config.socket_port, 36510);
  EXPECT_EQ(r.config.heartbeat_interval, milliseconds(5000));
  // Keys are set, so listening on every address is deliberate: no warning.
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(Config, DotEnvDoubleQuoteEscapes) {
  Sandbox box;
  box.files[".env"] = "DEFAULT_MODEL=\"a\\nb\\tc\\\\d\\\"e\\qf C:\\dir\"\n";
  EXPECT_EQ(box.Load().config.default_model, "a\nb\tc\\d\"e\\qf C:\\dir");
  box.files[".env"] = "DEFAULT_MODEL='a\\nb'\n";  // single quotes are literal
  EXPECT_EQ(box.Load().config.default_model, "a\\nb");
  box.files[".env"] = "DEFAULT_MODEL=a#b c # comment\n";
  EXPECT_EQ(box.Load().config.default_model, "a#b c");
}

TEST(Config, DotEnvSyntaxErrorsNameTheLineButNotTheValue) {
  Sandbox box;
  box.files[".env"] = "PORT=1\nAPI_KEYS=\"sk-secret-value\n";
  std::string message = box.Error();
  EXPECT_THAT(message, AllOf(HasSubstr("line 2 of .env"), HasSubstr("closing \""),
                             Not(HasSubstr("sk-secret-value"))));
  box.files[".env"] = "just some words\n";
  EXPECT_THAT(box.Error(), AllOf(HasSubstr("line 1 of .env"), HasSubstr("KEY=VALUE")));
  box.files[".env"] = "MY-KEY=1\n";
  EXPECT_THAT(box.Error(), HasSubstr("line 1 of .env"));
  box.files[".env"] = "DEFAULT_MODEL='open\n";
  EXPECT_THAT(box.Error(), HasSubstr("closing '"));
}

TEST(Config, DotEnvUnknownKeysWarn) {
  Sandbox box;
  box.files[".env"] = "PROT=1\nPOSTGRES_URL=x\nENV_FILE=other.env\n";
  const LoadResult r = box.Load();
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_THAT(r.warnings[0], AllOf(HasSubstr("line 1 of .env"), HasSubstr("unknown setting PROT"),
                                   HasSubstr("did you mean PORT?")));
  EXPECT_THAT(r.warnings[1], HasSubstr("POSTGRES_URL"));
  EXPECT_THAT(r.warnings[2], AllOf(HasSubstr("ENV_FILE"), HasSubstr("--env-file")));
  EXPECT_EQ(r.config.env_file, ".env");
  EXPECT_THAT(box.reads, ElementsAre(".env"));
}

TEST(Config, EnvFileIsChosenByEnvironmentOrFlag) {
  Sandbox box;
  box.files[".env"] = "PORT=1\n";
  box.files["/etc/lgw.env"] = "PORT=2\n";
  box.files["/home/ann/lgw.env"] = "PORT=3\n";

  box.env["ENV_FILE"] = "/etc/lgw.env";
  LoadResult r = box.Load();
  EXPECT_EQ(r.config.port, 2);
  EXPECT_EQ(r.config.env_file, "/etc/lgw.env");

  r = box.Load({"--env-file", "~/lgw.env"});
  EXPECT_EQ(r.config.port, 3);
  EXPECT_EQ(r.config.env_file, "/home/ann/lgw.env");

  box.reads.clear();
  r = box.Load({"--env-file="});
  EXPECT_EQ(r.config.port, 8000);
  EXPECT_THAT(box.reads, IsEmpty());

  // The default .env may be missing; a file the operator named must exist.
  EXPECT_THAT(
      box.Error({"--env-file=/nope.env"}),
      AllOf(HasSubstr("ENV_FILE"), HasSubstr("flag --env-file"), HasSubstr("no such file")));
}

TEST(Config, ApiKeysAreSplitTrimmedAndEmptiesDropped) {
  Sandbox box;
  box.env["API_KEYS"] = " sk-a , ,sk-b,,\tsk-c  ,";
  EXPECT_THAT(box.Load().config.api_keys, ElementsAre("sk-a", "sk-b", "sk-c"));
  box.env["API_KEYS"] = "";
  EXPECT_THAT(box.Load().config.api_keys, IsEmpty());
  box.env["API_KEYS"] = " , ";
  EXPECT_THAT(box.Load().config.api_keys, IsEmpty());
}

TEST(Config, AgentAskModeIsRefusedWithTheReason) {
  Sandbox box;
  box.env["DEFAULT_ASK_MODE"] = "agent";
  EXPECT_THAT(box.Error(), AllOf(HasSubstr("DEFAULT_ASK_MODE"), HasSubstr("IDE"),
                                 HasSubstr("tools"), HasSubstr("chat")));
  EXPECT_THAT(box.Error({"--default-ask-mode=Agent"}), HasSubstr("IDE"));
  EXPECT_THAT(box.Error({"--default-ask-mode=edit"}), HasSubstr("only supported value is chat"));
}

TEST(Config, HomeExpansionInPaths) {
  Sandbox box;
  box.env["LINGMA_BIN"] = "${HOME}/bin/Lingma";
  box.env["LINGMA_WORK_DIR"] = "~";
  Config c = box.Load().config;
  EXPECT_EQ(c.lingma_bin, "/home/ann/bin/Lingma");
  EXPECT_EQ(c.work_dir, "/home/ann");

  box.env["LINGMA_BIN"] = "/opt/~/$HOME";  // only a leading ~ or $HOME is special
  box.env["LINGMA_WORK_DIR"] = "~other/dir";
  c = box.Load().config;
  EXPECT_EQ(c.lingma_bin, "/opt/~/$HOME");
  EXPECT_EQ(c.work_dir, "~other/dir");

  box.env.erase("HOME");
  box.env["LINGMA_WORK_DIR"] = "~/x";
  EXPECT_THAT(box.Error(), AllOf(HasSubstr("LINGMA_WORK_DIR"), HasSubstr("HOME is not set")));

  // An empty work dir means the default.
  box.env["HOME"] = "/h";
  box.env["LINGMA_WORK_DIR"] = "";
  EXPECT_EQ(box.Load().config.work_dir, "/h/.cache/lingma-gateway");
}

TEST(Config, ChecksAcrossSettings) {
  Sandbox box;
  EXPECT_THAT(box.Error({"--lingma-reconnect-initial-ms=500", "--lingma-reconnect-max-ms=100"}),
              AllOf(HasSubstr("LINGMA_RECONNECT_MAX_MS (flag --lingma-reconnect-max-ms)"),
                    HasSubstr("LINGMA_RECONNECT_INITIAL_MS")));
  box.env["LINGMA_MODE"] = "attach";
  EXPECT_THAT(box.Error({"--lingma-pool-size=2"}),
              AllOf(HasSubstr("LINGMA_POOL_SIZE (flag --lingma-pool-size)"),
                    HasSubstr("LINGMA_MODE (environment variable LINGMA_MODE)")));
  EXPECT_EQ(box.Load({"--lingma-socket-port=65535"}).config.socket_port, 65535);
  box.env.erase("LINGMA_MODE");
  EXPECT_THAT(box.Error({"--lingma-socket-port=65535", "--lingma-pool-size=2"}),
              HasSubstr("65535"));
  EXPECT_EQ(box.Load({"--lingma-socket-port=65534", "--lingma-pool-size=2"}).config.socket_port,
            65534);
}

TEST(Config, WarnsWhenExposedWithoutApiKeys) {
  Sandbox box;
  LoadResult r = box.Load({"--host=0.0.0.0"});
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], AllOf(HasSubstr("0.0.0.0"), HasSubstr("API_KEYS")));
  EXPECT_THAT(box.Load({"--host=localhost"}).warnings, IsEmpty());
  EXPECT_THAT(box.Load({"--host=127.0.0.2"}).warnings, IsEmpty());
  EXPECT_THAT(box.Load({"--host=0.0.0.0", "--api-keys=k"}).warnings, IsEmpty());
}

TEST(Config, HelpMentionsEverySetting) {
  const std::string help = HelpText("lingma-gateway");
  EXPECT_THAT(help, StartsWith("Usage: lingma-gateway "));
  EXPECT_THAT(help, AllOf(HasSubstr("--help"), HasSubstr("--version"),
                          HasSubstr("--simulator[=BOOL]"), HasSubstr("agent")));
  for (const auto& [key, value] : Describe(Config{})) {
    std::string flag = "--" + key;
    for (char& c : flag) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    EXPECT_THAT(help, HasSubstr(key)) << key;
    EXPECT_THAT(help, HasSubstr(flag)) << flag;
  }
  EXPECT_THAT(help, HasSubstr("LINGMA_WORK_DIR, default ~/.cache/lingma-gateway"));
  EXPECT_THAT(help, HasSubstr("PORT, default 8000"));
  EXPECT_THAT(help, HasSubstr("LINGMA_RPC_TIMEOUT, default 10"));
}

TEST(Config, HelpAndExampleFitInOneHundredColumns) {
  for (const std::string& text : {HelpText("lingma-gateway"), EnvExample()}) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) EXPECT_LE(line.size(), 100u) << line;
  }
}

TEST(Config, EnvExampleListsEverySettingCommentedOut) {
  const std::string example = EnvExample();
  for (const auto& [key, value] : Describe(Config{})) {
    if (key == "ENV_FILE") continue;  // chooses the file, so it cannot live inside it
    EXPECT_THAT(example, HasSubstr("\n# " + key + "=")) << key;
  }
  std::istringstream lines(example);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(line.empty() || line.starts_with("#")) << line;
  }
}

TEST(Config, EnvExampleFileIsInSync) {
  const std::filesystem::path path =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / ".env.example";
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << "cannot open " << path;
  std::ostringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), EnvExample())
      << "regenerate " << path << " from app::EnvExample() (it mirrors the settings table)";
}

TEST(Config, EnvExampleLoadsBackToTheDefaults) {
  // Uncommenting every line of the example must give the defaults, with no error or warning.
  std::string uncommented;
  std::istringstream lines(EnvExample());
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t equals = line.find('=');
    const bool is_setting =
        line.starts_with("# ") && equals != std::string::npos && equals > 2 &&
        std::all_of(line.begin() + 2, line.begin() + static_cast<std::ptrdiff_t>(equals),
                    [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
    if (is_setting) {
      uncommented += line.substr(2) + "\n";
    }
  }
  Sandbox box;
  box.files[".env"] = uncommented;
  const LoadResult r = box.Load();
  EXPECT_THAT(r.warnings, IsEmpty());
  box.files.clear();
  EXPECT_EQ(Describe(r.config), Describe(box.Load().config));
}

TEST(Config, DescribeRedactsApiKeys) {
  Config c;
  c.api_keys = {"sk-secret-1", "sk-secret-2"};
  c.port = 0;
  c.lingma_mode = LingmaMode::kAttach;
  c.rpc_timeout = milliseconds(1500);
  const auto described = Describe(c);
  std::map<std::string, std::string> by_key(described.begin(), described.end());
  EXPECT_EQ(by_key.size(), described.size());
  EXPECT_EQ(by_key["API_KEYS"], "2 keys");
  EXPECT_EQ(by_key["PORT"], "0");
  EXPECT_EQ(by_key["LINGMA_MODE"], "attach");
  EXPECT_EQ(by_key["LINGMA_RPC_TIMEOUT"], "1.5");
  EXPECT_EQ(by_key["LINGMA_RECONNECT_MAX_MS"], "10000");
  EXPECT_EQ(by_key["SIMULATOR"], "false");
  for (const auto& [key, value] : described) {
    EXPECT_THAT(value, Not(HasSubstr("sk-secret"))) << key;
  }
  c.api_keys = {"one"};
  EXPECT_THAT(Describe(c),
              testing::Contains(std::pair<std::string, std::string>("API_KEYS", "1 key")));
  c.api_keys.clear();
  EXPECT_THAT(Describe(c),
              testing::Contains(std::pair<std::string, std::string>("API_KEYS", "none")));
}

TEST(Config, EnvironmentMapSplitsAtTheFirstEquals) {
  std::string a = "A=1", b = "B=x=y", c = "NOEQUALS", d = "A=2", e = "EMPTY=";
  char* envp[] = {a.data(), b.data(), c.data(), d.data(), e.data(), nullptr};
  const auto env = EnvironmentMap(envp);
  EXPECT_EQ(env, (std::map<std::string, std::string>{{"A", "1"}, {"B", "x=y"}, {"EMPTY", ""}}));
  EXPECT_THAT(EnvironmentMap(nullptr), IsEmpty());
}

TEST(Config, ReadTextFileReadsOrReportsMissing) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "lgw-config-read-text-file";
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "x.env";
  {
    std::ofstream out(file, std::ios::binary);
    out << "PORT=1\n";
  }
  EXPECT_EQ(ReadTextFile(file.string()), std::optional<std::string>("PORT=1\n"));
  EXPECT_EQ(ReadTextFile((dir / "missing.env").string()), std::nullopt);
  EXPECT_THROW(ReadTextFile(dir.string()), ConfigError);  // a directory is not a .env file
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace app
