// The thread that runs RoutingService passes (claim leases, auto-assignment, queue texts): at
// once when nudged (a session opened, an agent came online or freed capacity, a session went
// back to a queue) and every `sweep_interval` as a safety net (changes made by other instances,
// missed nudges, lease deadlines). Nudges that arrive during a pass fold into one more pass.
// Every instance runs one; the store's row locks keep concurrent passes apart.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "log/logger.h"
#include "router/routing_service.h"

namespace handoffd {

class RoutingThread {
 public:
  RoutingThread(RoutingService& routing, Logger& log, Duration sweep_interval);
  ~RoutingThread();

  void Start();
  void Stop();
  /// Asks for a pass as soon as possible. Never blocks.
  void Nudge();

 private:
  void Loop();

  RoutingService& routing_;
  Logger& log_;
  const Duration sweep_interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool nudged_ = false;
  std::thread thread_;
};

}  // namespace handoffd
