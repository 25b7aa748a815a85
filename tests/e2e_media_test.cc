// End to end (the real binary against the fake Graph API): inbound media downloaded after the
// webhook and served through /api/media with the exact bytes; attachments uploaded and sent by
// id; the 24-hour window (409 window_closed, then a template); read receipts and typing;
// Idempotency-Key; quoted replies and reactions. API.md "WhatsApp: window, templates, media,
// read, typing".
#include <filesystem>
#include <fstream>
#include <random>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

constexpr char kImageId[] = "4353307371641654";
constexpr char kTemplates[] =
    R"([{name = "order_update", language = "en_US", body = "Hello {{1}}, your order {{2}} has shipped."}])";

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(HANDOFFD_FIXTURES_DIR) + "/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

class E2eMediaTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    media_dir_ =
        std::filesystem::temp_directory_path() /
        ("handoffd-media-" + std::to_string(::getpid()) + "-" + std::to_string(NowUnixMillis()));
  }
  void TearDown() override {
    E2eTest::TearDown();
    std::error_code ec;
    std::filesystem::remove_all(media_dir_, ec);
  }

  DaemonOptions MediaOptions() const {
    DaemonOptions o = BaseOptions();
    o.api_base = fake_->api_base();  // the media endpoints are GETs: no gate in between
    o.extra_toml["media.dir"] = "\"" + media_dir_.string() + "\"";
    o.extra_toml["whatsapp.templates"] = kTemplates;
    return o;
  }

  // A fixture with the media's sha256 (base64, as webhooks carry it) and timestamp replaced.
  std::string MediaWebhook(const std::string& fixture, const std::string& type,
                           const std::string& bytes, const std::string& wamid, int64_t t) {
    json body = json::parse(ReadFixture(fixture));
    json& msg = body["entry"][0]["changes"][0]["value"]["messages"][0];
    msg["timestamp"] = std::to_string(t);
    msg["id"] = wamid;
    msg[type]["sha256"] = FakeGraphServer::Sha256Base64(bytes);
    msg[type].erase("url");
    return body.dump();
  }

  // The message with channel id `wamid` once its media_status is not pending.
  json WaitForMedia(const json& session, const std::string& wamid, const std::string& token) {
    json found;
    Eventually(
        [&] {
          for (const json& m : Messages(session, token)) {
            if (Str(m, "channel_message_id") == wamid &&
                Str(At(m, "metadata"), "media_status") != "pending") {
              found = m;
              return true;
            }
          }
          return false;
        },
        seconds(20));
    return found;
  }

  Reply PostMultipart(const std::string& path, const std::string& token,
                      const httplib::MultipartFormDataItems& items,
                      const std::string& idempotency_key = "") const {
    httplib::Client client("127.0.0.1", daemon_->port());
    client.set_read_timeout(15, 0);
    httplib::Headers headers = {{"Authorization", "Bearer " + token}};
    if (!idempotency_key.empty()) headers.emplace("Idempotency-Key", idempotency_key);
    auto res = client.Post(path, headers, items);
    Reply r;
    if (!res) return r;
    r.connected = true;
    r.status = res->status;
    r.body = res->body;
    r.content_type = res->get_header_value("Content-Type");
    r.headers = res->headers;
    r.j = json::parse(r.body, nullptr, false);
    return r;
  }

  // Graph requests to the messages endpoint whose JSON matches `pred`.
  std::vector<json> GraphBodies(const std::function<bool(const json&)>& pred) const {
    std::vector<json> out;
    for (const auto& r : fake_->Requests()) {
      if (r.method != "POST" || r.path != kMessagesPath) continue;
      json j = json::parse(r.body, nullptr, false);
      if (j.is_object() && pred(j)) out.push_back(j);
    }
    return out;
  }

  std::filesystem::path media_dir_;
};

TEST_P(E2eMediaTest, InboundMediaIsDownloadedAndServedWithTheExactBytes) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(MediaOptions()));
  Team team = AddTeam();
  const int64_t t = NowUnixSeconds();
  json session = AskForAnAgent(kAnna, "Anna Schmidt", "wamid.media.ask", t, team.alice.token);
  ASSERT_NO_FATAL_FAILURE(Accept(session, team.alice, "Alice Agent"));

  // A photo, a PDF (its first download URL has expired) and a voice note (the first resolve
  // fails with a 500).
  const std::string jpeg = "\xff\xd8\xff\xe0" + RandomBytes(300000, 1);
  const std::string pdf = "%PDF-1.4\n" + RandomBytes(120000, 2);
  const std::string ogg = "OggS" + RandomBytes(40000, 3);
  fake_->AddMedia(kImageId, {jpeg, "image/jpeg"});
  FakeMedia pdf_media{pdf, "application/pdf"};
  pdf_media.expired_downloads = 1;
  json doc_fixture = json::parse(ReadFixture("07_document.json"));
  const std::string doc_id =
      Str(doc_fixture["entry"][0]["changes"][0]["value"]["messages"][0]["document"], "id");
  const std::string filename =
      Str(doc_fixture["entry"][0]["changes"][0]["value"]["messages"][0]["document"], "filename");
  fake_->AddMedia(doc_id, pdf_media);
  json voice_fixture = json::parse(ReadFixture("08_audio_voice.json"));
  const std::string voice_id =
      Str(voice_fixture["entry"][0]["changes"][0]["value"]["messages"][0]["audio"], "id");
  FakeMedia voice{ogg, "audio/ogg; codecs=opus"};
  voice.resolve_errors = 1;
  fake_->AddMedia(voice_id, voice);

  Deliver(MediaWebhook("06_image_with_caption.json", "image", jpeg, "wamid.media.img", t + 1));
  Deliver(MediaWebhook("07_document.json", "document", pdf, "wamid.media.doc", t + 2));
  Deliver(MediaWebhook("08_audio_voice.json", "audio", ogg, "wamid.media.voice", t + 3));

  json image = WaitForMedia(session, "wamid.media.img", team.alice.token);
  ASSERT_TRUE(image.is_object()) << Messages(session, team.alice.token).dump();
  EXPECT_EQ(Str(image, "type"), "image");
  const json& meta = image["metadata"];
  EXPECT_EQ(Str(meta, "media_status"), "ready") << meta.dump();
  EXPECT_EQ(Str(meta, "media_url"), "/api/media/" + IdStr(image["id"]));
  EXPECT_EQ(At(meta, "size_bytes"), json(jpeg.size()));
  EXPECT_EQ(Str(meta, "sha256"), FakeGraphServer::Sha256Hex(jpeg));
  Reply got = Get("/api/media/" + IdStr(image["id"]), team.alice.token);
  ASSERT_EQ(got.status, 200) << got.content_type;
  EXPECT_TRUE(got.body == jpeg) << "bytes differ: " << got.body.size() << " vs " << jpeg.size();
  EXPECT_EQ(got.content_type, "image/jpeg");
  EXPECT_EQ(got.headers.find("X-Content-Type-Options")->second, "nosniff");
  // The resolve and the download both carried the bearer token.
  int authorised = 0;
  for (const auto& r : fake_->Requests()) {
    if (r.method == "GET" && Contains(r.path, kImageId)) {
      EXPECT_EQ(r.headers.at("authorization"), "Bearer test-token") << r.path;
      ++authorised;
    }
  }
  EXPECT_EQ(authorised, 2);

  json doc = WaitForMedia(session, "wamid.media.doc", team.alice.token);
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(Str(doc["metadata"], "media_status"), "ready") << doc.dump();
  Reply pdf_got = Get("/api/media/" + IdStr(doc["id"]), team.alice.token);
  ASSERT_EQ(pdf_got.status, 200);
  EXPECT_TRUE(pdf_got.body == pdf);
  EXPECT_EQ(pdf_got.content_type, "application/pdf");
  auto disposition = pdf_got.headers.find("Content-Disposition");
  ASSERT_NE(disposition, pdf_got.headers.end());
  EXPECT_EQ(disposition->second.rfind("attachment; filename=", 0), 0u) << disposition->second;
  EXPECT_TRUE(Contains(disposition->second, filename.substr(0, 5))) << disposition->second;

  json audio = WaitForMedia(session, "wamid.media.voice", team.alice.token);
  ASSERT_TRUE(audio.is_object());
  EXPECT_EQ(Str(audio["metadata"], "media_status"), "ready") << audio.dump();
  Reply ogg_got = Get("/api/media/" + IdStr(audio["id"]), team.alice.token);
  EXPECT_TRUE(ogg_got.body == ogg);
  EXPECT_EQ(ogg_got.content_type, "audio/ogg; codecs=opus");

  // Another agent may not read the session's media; unknown ids are 404.
  EXPECT_EQ(Get("/api/media/" + IdStr(image["id"]), team.bob.token).status, 403);
  EXPECT_EQ(Get("/api/media/999999", team.alice.token).status, 404);
  EXPECT_EQ(Get("/api/media/" + IdStr(image["id"])).status, 401);
}

TEST_P(E2eMediaTest, PermanentFailuresAreVisible) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(MediaOptions()));
  Team team = AddTeam();
  const int64_t t = NowUnixSeconds();
  json session = AskForAnAgent(kAnna, "Anna Schmidt", "wamid.fail.ask", t, team.alice.token);
  ASSERT_NO_FATAL_FAILURE(Accept(session, team.alice, "Alice Agent"));
  const std::string jpeg = "\xff\xd8" + RandomBytes(5000, 4);
  FakeMedia gone{jpeg, "image/jpeg"};
  gone.not_found = true;
  fake_->AddMedia(kImageId, gone);
  Deliver(MediaWebhook("06_image_with_caption.json", "image", jpeg, "wamid.fail.404", t + 1));
  json m = WaitForMedia(session, "wamid.fail.404", team.alice.token);
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(Str(m["metadata"], "media_status"), "failed");
  EXPECT_FALSE(Str(m["metadata"], "error").empty());
  EXPECT_EQ(Get("/api/media/" + IdStr(m["id"]), team.alice.token).status, 404);

  // Wrong hash: the webhook's sha256 names other bytes.
  fake_->AddMedia("hash-mismatch", {jpeg, "image/jpeg"});
  json body = json::parse(
      MediaWebhook("06_image_with_caption.json", "image", jpeg + "!", "wamid.fail.hash", t + 2));
  body["entry"][0]["changes"][0]["value"]["messages"][0]["image"]["id"] = "hash-mismatch";
  Deliver(body.dump());
  json h = WaitForMedia(session, "wamid.fail.hash", team.alice.token);
  ASSERT_TRUE(h.is_object());
  EXPECT_EQ(Str(h["metadata"], "media_status"), "failed");
  EXPECT_TRUE(Contains(Str(h["metadata"], "error"), "sha256")) << h.dump();
}

TEST_P(E2eMediaTest, AgentSendsAttachmentsRepliesReactsReadsAndTypes) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(MediaOptions()));
  Team team = AddTeam();
  const int64_t t = NowUnixSeconds();
  json session = AskForAnAgent(kAnna, "Anna Schmidt", "wamid.att.ask", t, team.alice.token);
  ASSERT_NO_FATAL_FAILURE(Accept(session, team.alice, "Alice Agent"));
  const std::string path = SessionPath(session);

  // A PNG with a caption: uploaded (multipart) then sent by the returned id.
  const std::string png = "\x89PNG\r\n\x1a\n" + RandomBytes(20000, 5);
  Reply sent = PostMultipart(
      path + "/attachments", team.alice.token,
      {{"file", png, "part.png", "image/png"}, {"caption", "The replacement part", "", ""}});
  ASSERT_EQ(sent.status, 201) << sent.Describe();
  EXPECT_EQ(Str(sent.j, "type"), "image");
  EXPECT_EQ(Str(sent.j, "content"), "The replacement part");
  EXPECT_EQ(Str(sent.j["metadata"], "media_status"), "ready");
  Reply own = Get(Str(sent.j["metadata"], "media_url"), team.alice.token);
  EXPECT_TRUE(own.body == png);
  ASSERT_TRUE(Eventually([&] { return !fake_->UploadIdOf(0).empty(); }, seconds(10)));
  const RecordedRequest* upload = nullptr;
  auto requests = fake_->Requests();
  for (const auto& r : requests) {
    if (r.method == "POST" && r.path == "/v21.0/123456789012345/media") upload = &r;
  }
  ASSERT_NE(upload, nullptr);
  EXPECT_EQ(upload->headers.at("authorization"), "Bearer test-token");
  std::map<std::string, RecordedPart> parts;
  for (const auto& p : upload->parts) parts[p.name] = p;
  EXPECT_EQ(parts["messaging_product"].content, "whatsapp");
  EXPECT_EQ(parts["type"].content, "image/png");
  EXPECT_TRUE(parts["file"].content == png);
  EXPECT_EQ(parts["file"].content_type, "image/png");
  auto images = [&] {
    return GraphBodies([](const json& j) { return Str(j, "type") == "image"; });
  };
  ASSERT_TRUE(Eventually([&] { return images().size() == 1; }, seconds(10)));
  EXPECT_EQ(images()[0],
            json::parse(R"({"messaging_product":"whatsapp","recipient_type":"individual",
      "to":"+4915112345678","type":"image","image":{"id":"fake-upload-0","caption":"The replacement part"}})"));

  // A PDF goes as a document with its file name.
  const std::string pdf = "%PDF-1.7\n" + RandomBytes(50000, 6);
  Reply doc = PostMultipart(path + "/attachments", team.alice.token,
                            {{"file", pdf, "Invoice 42.pdf", "application/pdf"}});
  ASSERT_EQ(doc.status, 201) << doc.Describe();
  EXPECT_EQ(Str(doc.j, "type"), "document");
  auto documents = [&] {
    return GraphBodies([](const json& j) { return Str(j, "type") == "document"; });
  };
  ASSERT_TRUE(Eventually([&] { return documents().size() == 1; }, seconds(10)));
  EXPECT_EQ(documents()[0]["document"],
            json::parse(R"({"id":"fake-upload-1","filename":"Invoice 42.pdf"})"));

  // Meta's limits: a 6 MB PNG is too large; a non-multipart body is refused.
  Reply big = PostMultipart(path + "/attachments", team.alice.token,
                            {{"file", std::string(6 * 1024 * 1024, 'x'), "big.png", "image/png"}});
  ExpectError(big, 413, "payload_too_large", "6 MB image");
  ExpectError(PostJson(path + "/attachments", {{"file", "x"}}, team.alice.token), 415,
              "unsupported_media_type", "JSON attachment");

  // Idempotency-Key: the second POST returns the first message and sends nothing.
  const std::string text = "Your refund is on its way";
  httplib::Headers key = {{"Idempotency-Key", "refund-1"}};
  Reply first = Call("POST", path + "/messages", team.alice.token, json{{"content", text}}.dump(),
                     "application/json", key);
  Reply again = Call("POST", path + "/messages", team.alice.token, json{{"content", text}}.dump(),
                     "application/json", key);
  ASSERT_EQ(first.status, 201) << first.Describe();
  ASSERT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(first.j["id"], again.j["id"]);
  ASSERT_TRUE(Eventually([&] { return CountTextSends(text) == 1; }, seconds(10)));

  // A quoted reply names the customer's wamid; a reaction too.
  json ask;
  for (const json& m : Messages(session, team.alice.token)) {
    if (Str(m, "channel_message_id") == "wamid.att.ask") ask = m;
  }
  ASSERT_TRUE(ask.is_object());
  Reply quoted = PostJson(path + "/messages", {{"content", "About this:"}, {"reply_to", ask["id"]}},
                          team.alice.token);
  ASSERT_EQ(quoted.status, 201) << quoted.Describe();
  ASSERT_TRUE(Eventually([&] { return CountTextSends("About this:") == 1; }, seconds(10)));
  auto q = GraphBodies([](const json& j) { return j.contains("context"); });
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0]["context"], json({{"message_id", "wamid.att.ask"}}));
  Reply react = PostJson(path + "/messages/" + IdStr(ask["id"]) + "/reaction",
                         {{"emoji", "\xF0\x9F\x91\x8D"}}, team.alice.token);
  ASSERT_EQ(react.status, 201) << react.Describe();
  EXPECT_EQ(Str(react.j, "type"), "reaction");
  ASSERT_TRUE(Eventually(
      [&] {
        return !GraphBodies([](const json& j) { return Str(j, "type") == "reaction"; }).empty();
      },
      seconds(10)));
  EXPECT_EQ(GraphBodies([](const json& j) { return Str(j, "type") == "reaction"; })[0]["reaction"],
            json({{"message_id", "wamid.att.ask"}, {"emoji", "\xF0\x9F\x91\x8D"}}));

  // Read: once per last inbound message. Typing: once per 20 s.
  auto reads = [&] {
    return GraphBodies([](const json& j) { return Str(j, "status") == "read"; });
  };
  EXPECT_EQ(PostEmpty(path + "/read", team.alice.token).status, 204);
  EXPECT_EQ(PostEmpty(path + "/read", team.alice.token).status, 204);
  ASSERT_TRUE(Eventually([&] { return reads().size() == 1; }, seconds(10)));
  EXPECT_EQ(
      reads()[0],
      json::parse(
          R"({"messaging_product":"whatsapp","status":"read","message_id":"wamid.att.ask"})"));
  EXPECT_EQ(PostEmpty(path + "/typing", team.alice.token).status, 204);
  EXPECT_EQ(PostEmpty(path + "/typing", team.alice.token).status, 204);
  EXPECT_EQ(PostEmpty(path + "/typing", team.alice.token).status, 204);
  ASSERT_TRUE(Eventually([&] { return reads().size() == 2; }, seconds(10)));
  EXPECT_EQ(reads()[1], json::parse(R"({"messaging_product":"whatsapp","status":"read",
      "message_id":"wamid.att.ask","typing_indicator":{"type":"text"}})"));
  // A later send to the same customer proves the extra reads and typings were not queued.
  PostJson(path + "/messages", {{"content", "done"}}, team.alice.token);
  ASSERT_TRUE(Eventually([&] { return CountTextSends("done") == 1; }, seconds(10)));
  EXPECT_EQ(reads().size(), 2u);
}

TEST_P(E2eMediaTest, ClosedWindowRefusesFreeTextAndSendsTemplates) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(MediaOptions()));
  Team team = AddTeam();
  Reply templates = Get("/api/templates", team.alice.token);
  ASSERT_EQ(templates.status, 200);
  EXPECT_EQ(templates.j, json::parse(R"({"templates":[{"name":"order_update","language":"en_US",
      "body":"Hello {{1}}, your order {{2}} has shipped.","parameters":2}]})"));

  // A business-initiated conversation: the customer never wrote, so the window is closed.
  Reply started = PostEmpty("/api/agent/sessions/start/" + std::string(kJoao), team.alice.token);
  ASSERT_EQ(started.status, 201) << started.Describe();
  EXPECT_TRUE(At(started.j, "window_expires_at").is_null());
  const std::string path = SessionPath(started.j);
  ASSERT_EQ(PostJson(path + "/assign", json::object(), team.alice.token).status, 200);
  ExpectError(PostJson(path + "/messages", {{"content", "hi"}}, team.alice.token), 409,
              "window_closed", "free text with the window closed");
  ExpectError(PostMultipart(path + "/attachments", team.alice.token,
                            {{"file", "%PDF-1.4 x", "a.pdf", "application/pdf"}}),
              409, "window_closed", "attachment with the window closed");

  ExpectError(
      PostJson(path + "/template", {{"name", "nope"}, {"language", "en_US"}}, team.alice.token),
      400, "bad_request", "unknown template");
  ExpectError(PostJson(path + "/template",
                       {{"name", "order_update"}, {"language", "en_US"}, {"parameters", {"Ana"}}},
                       team.alice.token),
              400, "bad_request", "wrong parameter count");
  Reply tmpl = PostJson(
      path + "/template",
      {{"name", "order_update"}, {"language", "en_US"}, {"parameters", {"João", "A-1001"}}},
      team.alice.token);
  ASSERT_EQ(tmpl.status, 201) << tmpl.Describe();
  EXPECT_EQ(Str(tmpl.j, "type"), "template");
  EXPECT_EQ(Str(tmpl.j, "content"), "Hello João, your order A-1001 has shipped.");
  auto sent = WaitForSentTo(kJoao, 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].body,
            json::parse(R"({"messaging_product":"whatsapp","recipient_type":"individual",
      "to":"+5511987654321","type":"template","template":{"name":"order_update",
      "language":{"code":"en_US"},"components":[{"type":"body","parameters":[
      {"type":"text","text":"João"},{"type":"text","text":"A-1001"}]}]}})"));
  // The refused sends queued nothing: no "hi", no upload.
  EXPECT_EQ(CountTextSends("hi"), 0u);
  for (const auto& r : fake_->Requests()) EXPECT_FALSE(EndsWith(r.path, "/media")) << r.path;
}

HANDOFFD_E2E_INSTANTIATE(E2eMediaTest);

}  // namespace
}  // namespace handoffd::testing
