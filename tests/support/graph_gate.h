// GraphGate (test-only): a switch in front of the FakeGraphServer that makes Meta's Graph API
// "down" across a daemon restart without changing the daemon's config.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/e2e_helpers.h"
#include "support/fake_graph_server.h"

namespace handoffd::testing {

// ---------------------------------------------------------------------------------------------
// A switch in front of the FakeGraphServer: healthy, it relays every request unchanged and keeps
// the response; unhealthy, it answers 500 with Meta's transient error (code 2) itself, so the
// fake's queue of scripted answers is untouched. Used to make the Graph API "down" across a
// daemon restart without changing the daemon's config.
class GraphGate {
 public:
  struct Exchange {
    std::string path;
    std::string request_body;
    int status = 0;
    std::string response_body;
  };

  explicit GraphGate(int upstream_port) : upstream_port_(upstream_port) {
    server_.Post(".*",
                 [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.set_keep_alive_timeout(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~GraphGate() {
    server_.stop();
    thread_.join();
  }

  std::string api_base() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v21.0"; }
  void set_healthy(bool healthy) { healthy_ = healthy; }
  int refused() const { return refused_; }
  std::vector<Exchange> Exchanges() const {
    std::lock_guard<std::mutex> lock(mu_);
    return exchanges_;
  }

  // The wamid returned by a successful send whose text body is `text` (empty if none yet).
  std::string WamidForText(const std::string& text) const {
    for (const auto& e : Exchanges()) {
      if (e.status != 200) continue;
      json req = json::parse(e.request_body, nullptr, false);
      if (!req.is_object() || !req.contains("text") || !req["text"].is_object() ||
          Str(req["text"], "body") != text) {
        continue;
      }
      json res = json::parse(e.response_body, nullptr, false);
      if (res.is_object() && res.contains("messages") && res["messages"].is_array() &&
          !res["messages"].empty()) {
        return Str(res["messages"][0], "id");
      }
    }
    return "";
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    Exchange e{req.path, req.body, 0, ""};
    if (!healthy_) {
      ++refused_;
      res.status = 500;
      e.response_body =
          R"({"error":{"message":"An unexpected error has occurred. Please retry your request later.",)"
          R"("type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"AgateDOWN"}})";
      res.set_content(e.response_body, "application/json");
    } else {
      httplib::Client up("127.0.0.1", upstream_port_);
      up.set_read_timeout(30, 0);
      httplib::Headers headers;
      if (req.has_header("Authorization")) {
        headers.emplace("Authorization", req.get_header_value("Authorization"));
      }
      auto r = up.Post(req.path, headers, req.body, req.get_header_value("Content-Type"));
      if (!r) {
        res.status = 502;
      } else {
        res.status = r->status;
        e.response_body = r->body;
        res.set_content(r->body, r->get_header_value("Content-Type"));
      }
    }
    e.status = res.status;
    std::lock_guard<std::mutex> lock(mu_);
    exchanges_.push_back(std::move(e));
  }

  int upstream_port_;
  int port_ = 0;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> healthy_{true};
  std::atomic<int> refused_{0};
  mutable std::mutex mu_;
  std::vector<Exchange> exchanges_;
};

}  // namespace handoffd::testing
