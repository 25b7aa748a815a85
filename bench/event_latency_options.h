// event_latency's command line (usage in event_latency.cc): the options of both modes, parsed
// and checked; a bad argument prints the usage and exits with status 2.
#pragma once

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_common.h"

namespace event_latency {

using bench::CpuWatch;

struct Options {
  std::string url;
  // Where the dashboards connect (and log in); default: url. Another instance on the same
  // PostgreSQL measures cross-instance delivery (LISTEN/NOTIFY).
  std::string stream_url;
  std::string secret;
  std::string token;
  std::string email;
  std::string password;
  int dashboards = 50;
  double rate = 500;
  double duration_s = 20;
  bool duration_given = false;
  int customers = 200;
  int connections = 32;
  double warmup_s = 0;
  double grace_s = 5;
  int streams_only = 0;
  std::vector<int> steps;
  int watch_pid = 0;
  std::vector<CpuWatch> cpu;
  std::string phone_number_id = "123456789012345";
  std::string label;
};

[[noreturn]] inline void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "event_latency: " << error << "\n";
  std::cerr
      << "usage: event_latency --url http://HOST:PORT (--token T | --email E --password P)\n"
         "         latency mode:  --secret SECRET [--dashboards 50] [--rate 500] [--duration 20s]\n"
         "                        [--customers 200] [--connections 32] [--warmup 0s] [--grace 5s]\n"
         "         capacity mode: --streams-only N [--steps 100,250] [--watch-pid PID]\n"
         "                        [--duration 15s]\n"
         "         both:          [--cpu NAME=PID]... [--phone-number-id ID] [--label NAME]\n"
         "                        [--stream-url URL] (dashboards on another instance)\n";
  std::exit(2);
}

inline Options ParseArgs(int argc, char** argv) {
  Options o;
  auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) Usage(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto to_int = [](const std::string& flag, const std::string& v) {
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < 0) Usage(flag + ": not a number: " + v);
    return static_cast<int>(n);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--url") {
      o.url = need(i);
    } else if (a == "--stream-url") {
      o.stream_url = need(i);
    } else if (a == "--secret") {
      o.secret = need(i);
    } else if (a == "--token") {
      o.token = need(i);
    } else if (a == "--email") {
      o.email = need(i);
    } else if (a == "--password") {
      o.password = need(i);
    } else if (a == "--dashboards") {
      o.dashboards = to_int(a, need(i));
    } else if (a == "--rate") {
      std::string v = need(i);
      char* end = nullptr;
      o.rate = std::strtod(v.c_str(), &end);
      if (*end != '\0' || o.rate <= 0) Usage("--rate: not a positive number: " + v);
    } else if (a == "--duration") {
      if (!bench::ParseSeconds(need(i), &o.duration_s)) Usage("--duration: bad duration");
      o.duration_given = true;
    } else if (a == "--customers") {
      o.customers = to_int(a, need(i));
    } else if (a == "--connections") {
      o.connections = to_int(a, need(i));
    } else if (a == "--warmup") {
      if (!bench::ParseSeconds(need(i), &o.warmup_s)) Usage("--warmup: bad duration");
    } else if (a == "--grace") {
      if (!bench::ParseSeconds(need(i), &o.grace_s)) Usage("--grace: bad duration");
    } else if (a == "--streams-only") {
      o.streams_only = to_int(a, need(i));
      if (o.streams_only < 1) Usage("--streams-only must be at least 1");
    } else if (a == "--steps") {
      std::stringstream list(need(i));
      std::string item;
      while (std::getline(list, item, ',')) {
        if (!item.empty()) o.steps.push_back(to_int("--steps", item));
      }
    } else if (a == "--watch-pid") {
      o.watch_pid = to_int(a, need(i));
    } else if (a == "--cpu") {
      CpuWatch w;
      if (!bench::ParseCpuWatch(need(i), &w)) Usage("--cpu: expected NAME=PID");
      o.cpu.push_back(w);
    } else if (a == "--phone-number-id") {
      o.phone_number_id = need(i);
    } else if (a == "--label") {
      o.label = need(i);
    } else if (a == "--help" || a == "-h") {
      Usage("");
    } else {
      Usage("unknown argument " + a);
    }
  }
  if (o.url.empty()) Usage("--url is required");
  if (o.stream_url.empty()) o.stream_url = o.url;
  if (o.token.empty() && (o.email.empty() || o.password.empty())) {
    Usage("--token, or --email and --password, are required");
  }
  if (o.streams_only == 0) {
    if (o.secret.empty()) Usage("--secret is required (latency mode)");
    if (o.dashboards < 1) Usage("--dashboards must be at least 1");
    if (o.connections < 1) Usage("--connections must be at least 1");
    if (o.customers < 1) Usage("--customers must be at least 1");
  }
  if (!o.duration_given && o.streams_only > 0) o.duration_s = 15;
  if (o.duration_s <= 0) Usage("--duration must be positive");
  return o;
}

}  // namespace event_latency
