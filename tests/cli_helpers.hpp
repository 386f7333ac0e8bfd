// Running the built gdlab tool from a test, as a user runs it. The including target
// defines GDLAB_CLI, the tool's path (see tests/CMakeLists.txt).
#pragma once
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gdtest {

struct CliRun {
  int status;          // the exit status; -1 when ended by a signal
  std::string output;  // stdout and stderr together
};

// Runs `gdlab ARGS` through the shell in `cwd` (the current folder when empty).
// `shell_prefix` comes just before the tool's path, e.g. "ulimit -v 4194304; timeout 60 ".
inline CliRun run_gdlab(const std::string& args, const std::filesystem::path& cwd = {},
                        const std::string& shell_prefix = "") {
  std::string cmd;
  if (!cwd.empty()) cmd += "cd '" + cwd.string() + "' && ";
  cmd += shell_prefix + "'" GDLAB_CLI "' " + args + " 2>&1";
  CliRun r{-1, ""};
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  const int st = ::pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Starts `gdlab ARGS` in `cwd` without waiting, stdout and stderr into `log`, in a process
// group of its own as a shell starts a job: kill(-pid, SIGINT) then is what Ctrl-C on a
// terminal does, reaching gdlab and any program it runs (gnuplot).
inline pid_t spawn_gdlab(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                         const std::filesystem::path& log) {
  const pid_t pid = ::fork();
  if (pid != 0) {
    if (pid > 0) ::setpgid(pid, pid);  // also in the child: whichever runs first
    return pid;
  }
  ::setpgid(0, 0);
  if (::chdir(cwd.c_str()) != 0) ::_exit(99);
  if (!std::freopen(log.c_str(), "w", stdout)) ::_exit(98);
  ::dup2(::fileno(stdout), 2);
  std::vector<char*> argv{const_cast<char*>(GDLAB_CLI)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(GDLAB_CLI, argv.data());
  ::_exit(97);
}

// Whether `pid` has ended, without reaping it (wait_or_kill still gets its status).
inline bool has_ended(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

// The wait status of `pid` once it ends, or nullopt (and the process killed) after `limit`.
inline std::optional<int> wait_or_kill(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return std::nullopt;
}

}  // namespace gdtest
