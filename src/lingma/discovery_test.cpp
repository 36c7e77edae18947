// Tests for .info parsing, pid liveness and the Lingma binary search (temp dirs, real children).
#include "lingma/discovery.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace lingma {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "lgw-discovery-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& path, std::string_view text, bool executable = false) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  ::chmod(path.c_str(), executable ? 0755 : 0644);
}

// ---------------------------------------------------------------- .info (lines)

TEST(ParseInfoLines, PortAndPid) {
  const auto info = ParseInfoLines("37010\n14060\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->port, 37010);
  EXPECT_EQ(info->pid, 14060);
  EXPECT_EQ(info->ipc_path, "");
  EXPECT_FALSE(info->json_format);
}

TEST(ParseInfoLines, CrLfSpacesIpcAndBom) {
  const auto info =
      ParseInfoLines("\xEF\xBB\xBF 36510 \r\n\t4242\r\n\\\\.\\pipe\\lingma-bf0f32\r\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->port, 36510);
  EXPECT_EQ(info->pid, 4242);
  EXPECT_EQ(info->ipc_path, "\\\\.\\pipe\\lingma-bf0f32");
  const auto no_newline = ParseInfoLines("1\n2");
  ASSERT_TRUE(no_newline);
  EXPECT_EQ(no_newline->port, 1);
  EXPECT_EQ(no_newline->pid, 2);
}

TEST(ParseInfoLines, RejectsJunkAndOutOfRange) {
  for (const char* text :
       {"", "\n\n", "37010", "37010\n", "port\n1234", "37010\npid", "0\n1234", "65536\n1234",
        "-1\n1234", "+37010\n1234", "37010\n0", "37010\n-5", "37010\n99999999999", "370 10\n1234",
        "37010x\n1234", "3.7\n1234", R"({"websocketPort":37010,"pid":1})"}) {
    EXPECT_FALSE(ParseInfoLines(text)) << text;
  }
  EXPECT_TRUE(ParseInfoLines("65535\n2147483647"));
}

// ---------------------------------------------------------------- .info.json

TEST(ParseInfoJson, WebsocketPortPidIpc) {
  const auto info = ParseInfoJson(
      R"({"websocketPort": 36510, "pid": 14060, "ipcServerPath": "\\\\.\\pipe\\lingma-bf0f32"})");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->port, 36510);
  EXPECT_EQ(info->pid, 14060);
  EXPECT_EQ(info->ipc_path, "\\\\.\\pipe\\lingma-bf0f32");
  EXPECT_TRUE(info->json_format);
}

TEST(ParseInfoJson, PortAliasStringsAndMissingPid) {
  const auto alias = ParseInfoJson(R"({"port":"37010","pid":"77"})");
  ASSERT_TRUE(alias);
  EXPECT_EQ(alias->port, 37010);
  EXPECT_EQ(alias->pid, 77);
  const auto no_pid = ParseInfoJson(R"({"websocketPort":37010})");
  ASSERT_TRUE(no_pid);
  EXPECT_EQ(no_pid->pid, 0);
}

TEST(ParseInfoJson, RejectsBadFiles) {
  for (const char* text :
       {"", "{", "[]", "37010\n1234", "{}", R"({"pid":5})", R"({"websocketPort":0,"pid":5})",
        R"({"websocketPort":70000,"pid":5})", R"({"websocketPort":-1,"pid":5})",
        R"({"websocketPort":"abc","pid":5})", R"({"websocketPort":1.5,"pid":5})",
        R"({"websocketPort":37010,"pid":-3})", R"({"websocketPort":37010,"pid":"x"})",
        R"({"websocketPort":true})"}) {
    EXPECT_FALSE(ParseInfoJson(text)) << text;
  }
}

// ---------------------------------------------------------------- ReadInfoFile

TEST(ReadInfoFile, PrefersJsonOverLines) {
  TempDir dir;
  WriteFile(dir.path() / ".info", "11111\n222\n");
  WriteFile(dir.path() / ".info.json", R"({"websocketPort":33333,"pid":444})");
  const auto info = ReadInfoFile(dir.path());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->port, 33333);
  EXPECT_EQ(info->pid, 444);
  EXPECT_TRUE(info->json_format);
  EXPECT_EQ(info->path, dir.path() / ".info.json");
}

TEST(ReadInfoFile, CorruptJsonFallsBackToLines) {
  TempDir dir;
  WriteFile(dir.path() / ".info", "11111\r\n222\r\n");
  WriteFile(dir.path() / ".info.json", R"({"websocketPort":33)");  // half-written
  const auto info = ReadInfoFile(dir.path());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->port, 11111);
  EXPECT_EQ(info->pid, 222);
  EXPECT_FALSE(info->json_format);
  EXPECT_EQ(info->path, dir.path() / ".info");
}

TEST(ReadInfoFile, JsonUnderTheOldName) {
  TempDir dir;
  WriteFile(dir.path() / ".info", R"({"websocketPort":35555,"pid":9})");
  const auto info = ReadInfoFile(dir.path());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->port, 35555);
  EXPECT_TRUE(info->json_format);
}

TEST(ReadInfoFile, NothingUsable) {
  TempDir dir;
  EXPECT_FALSE(ReadInfoFile(dir.path()));
  EXPECT_FALSE(ReadInfoFile(dir.path() / "missing"));
  WriteFile(dir.path() / ".info", "garbage\n");
  WriteFile(dir.path() / ".info.json", "also garbage");
  EXPECT_FALSE(ReadInfoFile(dir.path()));
  fs::create_directory(dir.path() / "sub");
  fs::create_directory(dir.path() / "sub" / ".info.json");  // a directory, not a file
  EXPECT_FALSE(ReadInfoFile(dir.path() / "sub"));
}

// ---------------------------------------------------------------- liveness

TEST(IsProcessAlive, SelfIsAliveNonsenseIsNot) {
  EXPECT_TRUE(IsProcessAlive(::getpid()));
  EXPECT_FALSE(IsProcessAlive(0));
  EXPECT_FALSE(IsProcessAlive(-1));
}

TEST(IsProcessAlive, InitIsAliveEvenWithoutPermission) {
  // pid 1 belongs to root: kill(1, 0) fails with EPERM for ordinary users, which still means alive.
  EXPECT_TRUE(IsProcessAlive(1));
}

TEST(IsProcessAlive, ReapedChildIsDead) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_FALSE(IsProcessAlive(child));
}

TEST(IsProcessAlive, ZombieChildIsDead) {
  if (!fs::exists("/proc/self/stat")) GTEST_SKIP() << "no /proc";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  // Wait until the child has exited but leave it unreaped (a zombie).
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  EXPECT_FALSE(IsProcessAlive(child));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
}

TEST(IsProcessAlive, RunningChildIsAlive) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  EXPECT_TRUE(IsProcessAlive(child));
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_FALSE(IsProcessAlive(child));
}

TEST(PlatformDir, MatchesBuildTarget) {
  const std::string dir = PlatformDir();
#if defined(__x86_64__) && defined(__linux__)
  EXPECT_EQ(dir, "x86_64_linux");
#elif defined(__aarch64__) && defined(__linux__)
  EXPECT_EQ(dir, "aarch64_linux");
#else
  EXPECT_FALSE(dir.empty());
#endif
}

// ---------------------------------------------------------------- FindLingmaBinary

fs::path BinaryPath(const fs::path& home, std::string_view version) {
  return home / ".lingma" / "bin" / std::string(version) / PlatformDir() / "Lingma";
}

TEST(FindLingmaBinary, PicksNumericallyNewestVersion) {
  TempDir home;
  WriteFile(BinaryPath(home.path(), "2.9.3"), "#!/bin/sh\n", true);
  WriteFile(BinaryPath(home.path(), "2.10.0"), "#!/bin/sh\n", true);
  fs::create_directories(home.path() / ".lingma" / "bin" / "extension");  // not a version
  const BinarySearch s = FindLingmaBinary("", home.path());
  ASSERT_TRUE(s.found) << s.Explain();
  EXPECT_EQ(*s.found, BinaryPath(home.path(), "2.10.0"));
  EXPECT_TRUE(s.problem.empty());
  EXPECT_NE(s.Explain().find(BinaryPath(home.path(), "2.10.0").string()), std::string::npos);
}

TEST(FindLingmaBinary, ConfiguredVersionWins) {
  TempDir home;
  WriteFile(BinaryPath(home.path(), "2.9.3"), "#!/bin/sh\n", true);
  WriteFile(BinaryPath(home.path(), "2.10.0"), "#!/bin/sh\n", true);
  WriteFile(home.path() / ".lingma" / "bin" / "config.json", R"({"cosy.core.version":"2.9.3"})");
  const BinarySearch s = FindLingmaBinary("", home.path());
  ASSERT_TRUE(s.found) << s.Explain();
  EXPECT_EQ(*s.found, BinaryPath(home.path(), "2.9.3"));
  ASSERT_FALSE(s.searched.empty());
  EXPECT_EQ(s.searched.front(), BinaryPath(home.path(), "2.9.3").string());
}

TEST(FindLingmaBinary, NestedConfigKeyIsUnderstood) {
  TempDir home;
  WriteFile(BinaryPath(home.path(), "2.9.3"), "#!/bin/sh\n", true);
  WriteFile(BinaryPath(home.path(), "2.10.0"), "#!/bin/sh\n", true);
  WriteFile(home.path() / ".lingma" / "bin" / "config.json",
            R"({"cosy":{"core":{"version":"2.9.3"}}})");
  const BinarySearch s = FindLingmaBinary("", home.path());
  ASSERT_TRUE(s.found);
  EXPECT_EQ(*s.found, BinaryPath(home.path(), "2.9.3"));
}

TEST(FindLingmaBinary, ConfiguredVersionMissingFallsBackToNewest) {
  TempDir home;
  WriteFile(BinaryPath(home.path(), "2.9.3"), "#!/bin/sh\n", true);
  WriteFile(home.path() / ".lingma" / "bin" / "config.json", R"({"cosy.core.version":"3.0.0"})");
  const BinarySearch s = FindLingmaBinary("", home.path());
  ASSERT_TRUE(s.found) << s.Explain();
  EXPECT_EQ(*s.found, BinaryPath(home.path(), "2.9.3"));
  EXPECT_EQ(s.searched, (std::vector<std::string>{BinaryPath(home.path(), "3.0.0").string(),
                                                  BinaryPath(home.path(), "2.9.3").string()}));
}

TEST(FindLingmaBinary, SkipsNonExecutableNewestVersion) {
  TempDir home;
  WriteFile(BinaryPath(home.path(), "2.9.3"), "#!/bin/sh\n", true);
  WriteFile(BinaryPath(home.path(), "2.11.1"), "half-unpacked", false);
  const BinarySearch s = FindLingmaBinary("", home.path());
  ASSERT_TRUE(s.found);
  EXPECT_EQ(*s.found, BinaryPath(home.path(), "2.9.3"));
  EXPECT_EQ(s.searched.size(), 2u);
}

TEST(FindLingmaBinary, LingmaBinMustBeExecutable) {
  TempDir dir;
  const fs::path plain = dir.path() / "Lingma";
  WriteFile(plain, "not a program", false);
  // A valid install under home must not be used behind the user's back.
  WriteFile(BinaryPath(dir.path(), "2.10.0"), "#!/bin/sh\n", true);
  const BinarySearch s = FindLingmaBinary(plain.string(), dir.path());
  EXPECT_FALSE(s.found);
  EXPECT_EQ(s.searched, std::vector<std::string>{plain.string()});
  EXPECT_NE(s.problem.find("LINGMA_BIN"), std::string::npos) << s.problem;
  EXPECT_NE(s.problem.find("not executable"), std::string::npos) << s.problem;
  const std::string text = s.Explain();
  EXPECT_NE(text.find("LINGMA_BIN"), std::string::npos) << text;
  EXPECT_NE(text.find("--simulator"), std::string::npos) << text;
  EXPECT_NE(text.find(plain.string()), std::string::npos) << text;
}

TEST(FindLingmaBinary, LingmaBinMissingOrDirectory) {
  TempDir dir;
  const BinarySearch missing = FindLingmaBinary((dir.path() / "nope").string(), dir.path());
  EXPECT_FALSE(missing.found);
  EXPECT_NE(missing.problem.find("does not exist"), std::string::npos) << missing.problem;
  const BinarySearch directory = FindLingmaBinary(dir.path().string(), dir.path());
  EXPECT_FALSE(directory.found);
  EXPECT_NE(directory.problem.find("not a regular file"), std::string::npos) << directory.problem;
}

TEST(FindLingmaBinary, LingmaBinExecutableIsUsed) {
  TempDir dir;
  const fs::path exe = dir.path() / "my-lingma";
  WriteFile(exe, "#!/bin/sh\n", true);
  const BinarySearch s = FindLingmaBinary(exe.string(), "/nonexistent-home");
  ASSERT_TRUE(s.found);
  EXPECT_EQ(*s.found, exe);
}

TEST(FindLingmaBinary, NothingInstalledExplainsEverything) {
  TempDir home;
  // The VS Code extension's shared cache is a work dir, not a binary location.
  WriteFile(home.path() / ".lingma" / "vscode" / "sharedClientCache" / "Lingma", "x", true);
  const BinarySearch s = FindLingmaBinary("", home.path());
  EXPECT_FALSE(s.found);
  ASSERT_EQ(s.searched.size(), 1u);
  EXPECT_NE(s.searched[0].find((home.path() / ".lingma" / "bin").string()), std::string::npos);
  const std::string text = s.Explain();
  EXPECT_NE(text.find("not found"), std::string::npos) << text;
  EXPECT_NE(text.find("LINGMA_BIN"), std::string::npos) << text;
  EXPECT_NE(text.find("--simulator"), std::string::npos) << text;
  EXPECT_NE(text.find("plugin"), std::string::npos) << text;
  EXPECT_NE(text.find("log in"), std::string::npos) << text;
  EXPECT_NE(text.find('\n'), text.rfind('\n')) << "multi-line";
}

TEST(FindLingmaBinary, EmptyHome) {
  const BinarySearch s = FindLingmaBinary("", fs::path());
  EXPECT_FALSE(s.found);
  EXPECT_NE(s.problem.find("HOME"), std::string::npos) << s.problem;
}

}  // namespace
}  // namespace lingma
