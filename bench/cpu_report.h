// CPU and memory figures for the benchmarks' JSON reports: a process's threads and memory
// (/proc/PID/status), and the cores used by watched processes over a window (CpuWatch).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench_common.h"

namespace bench {

/// {"label", "streams", "threads", "vm_rss_mb", "vm_hwm_mb"} of process `pid`, or "gone": true.
inline nlohmann::json ProcSample(int pid, const std::string& label, int streams) {
  auto st = bench::ProcStatus(pid);
  nlohmann::json j = {{"label", label}, {"streams", streams}};
  if (st.empty()) {
    j["gone"] = true;
    return j;
  }
  j["threads"] = st["Threads"];
  j["vm_rss_mb"] = Round(static_cast<double>(st["VmRSS"]) / 1024.0, 1);
  j["vm_hwm_mb"] = Round(static_cast<double>(st["VmHWM"]) / 1024.0, 1);
  return j;
}

/// Starts the watches in `cpu`; with `add_self_and_all` also the bench itself ("bench") and every
/// process ("all_processes"). Not thread-safe (one caller).
inline void StartCpu(std::vector<CpuWatch>& cpu, bool add_self_and_all) {
  if (add_self_and_all) {
    CpuWatch self;
    self.name = "bench";
    self.pid = static_cast<int>(getpid());
    self.tree = false;
    CpuWatch all;
    all.name = "all_processes";
    all.all_processes = true;
    cpu.push_back(self);
    cpu.push_back(all);
  }
  for (auto& w : cpu) w.Start();
}
/// Stops the watches: {name: cores used over `seconds`}, plus "other" (all processes less the
/// watched ones: programs not watched, kernel threads) when "all_processes" was watched.
inline nlohmann::json StopCpu(std::vector<CpuWatch>& cpu, double seconds) {
  nlohmann::json j = nlohmann::json::object();
  double watched = 0, all = -1;
  for (auto& w : cpu) {
    w.Stop();
    const double cores = w.Cores(seconds);
    j[w.name] = Round(cores, 3);
    if (w.all_processes) {
      all = cores;
    } else if (cores > 0) {
      watched += cores;
    }
  }
  if (all >= 0) j["other"] = Round(std::max(0.0, all - watched), 3);
  return j;
}

/// "name 0.5 cores, ..." of a StopCpu result, for the human summary.
inline std::string CpuText(const nlohmann::json& cpu) {
  std::ostringstream out;
  bool first = true;
  for (auto it = cpu.begin(); it != cpu.end(); ++it) {
    out << (first ? "" : ", ") << it.key() << " " << it.value() << " cores";
    first = false;
  }
  return out.str();
}

}  // namespace bench
