// Api::Handle in process, with an audit sync that fails on demand: what a request answers when
// its outcome record cannot be made durable after its change was committed.
#include "api/api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "storage/sqlite/sqlite_store.h"
#include "vault/vault.h"

namespace svault::api {
namespace {

namespace json = boost::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/svault-api-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = std::move(storage::OpenSqliteStore({.path = dir_ + "/vault.db"}).value());
    vault::VaultOptions options;
    options.audit.dir = dir_ + "/audit";
    // Fails the sync that brings `fail_in_` to zero; every other sync is real.
    options.audit.sync = [this](int fd) { return fail_in_.fetch_sub(1) == 1 ? -1 : fdatasync(fd); };
    vault_ = std::make_unique<vault::Vault>(*store_, clock_, options);
    key_ = std::make_unique<crypto::GuardedKey>(std::move(crypto::GuardedKey::Random().value()));
    auto token = vault_->Initialize(*key_);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    root_token_ = std::string(token->Reveal());
    ASSERT_TRUE(vault_->Unseal(*key_).ok());
    api_ = std::make_unique<Api>(*vault_);
  }
  void TearDown() override {
    api_.reset();
    vault_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  HttpResponse Call(std::string method, std::string path, std::string body = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.target = path;
    const size_t question = path.find('?');
    request.path = path.substr(0, question);
    if (question != std::string::npos) request.query = path.substr(question + 1);
    request.authorization = "Bearer " + root_token_;
    request.content_type = "application/json";
    request.body = std::move(body);
    request.client_address = "127.0.0.1:1";
    request.request_id = "req_" + std::to_string(++requests_);
    boost::asio::io_context ioc;
    auto answer = boost::asio::co_spawn(ioc, api_->Handle(request), boost::asio::use_future);
    ioc.run();
    return answer.get();
  }
  // The next request's outcome record fails: its request record takes one sync, the outcome the
  // next (requests here run one at a time).
  void FailNextOutcome() { fail_in_ = 2; }

  std::string dir_;
  SystemClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<vault::Vault> vault_;
  std::unique_ptr<crypto::GuardedKey> key_;
  std::unique_ptr<Api> api_;
  std::string root_token_;
  std::atomic<int> fail_in_{0};
  int requests_ = 0;
};

TEST_F(ApiTest, ACommittedWriteWithoutItsOutcomeRecordSaysTheChangeWasMade) {
  ASSERT_EQ(Call("POST", "/api/v1/environments", R"({"id":"acme"})").status, 201);
  FailNextOutcome();
  HttpResponse put = Call("PUT", "/api/v1/environments/acme/secrets/K", R"({"value":"v1"})");
  EXPECT_EQ(put.status, 503);
  EXPECT_NE(put.body.find("the change was made"), std::string::npos) << put.body;
  EXPECT_EQ(put.body.find("v1"), std::string::npos) << "never the value";
  HttpResponse read = Call("GET", "/api/v1/environments/acme/secrets/K");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(json::parse(read.body).at("version").as_int64(), 1);
}

TEST_F(ApiTest, ATokenMadeWithoutItsOutcomeRecordIsNamedNeverShown) {
  FailNextOutcome();
  HttpResponse created = Call("POST", "/api/v1/tokens", R"({"role":"admin"})");
  ASSERT_EQ(created.status, 503) << created.body;
  EXPECT_EQ(created.body.find("svt_"), std::string::npos) << "never the token";
  const json::value body = json::parse(created.body);
  ASSERT_TRUE(body.as_object().contains("target")) << created.body;
  const std::string id(body.at("target").as_string());
  HttpResponse listed = Call("GET", "/api/v1/tokens?limit=1000");
  ASSERT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("\"" + id + "\""), std::string::npos) << "the named token exists";
  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/" + id).status, 204) << "and can be revoked";
}

// A read whose outcome record fails is withheld: a plain 503, no value.
TEST_F(ApiTest, AReadWithoutItsOutcomeRecordIsWithheld) {
  ASSERT_EQ(Call("POST", "/api/v1/environments", R"({"id":"acme"})").status, 201);
  ASSERT_EQ(Call("PUT", "/api/v1/environments/acme/secrets/K", R"({"value":"s3cr3t"})").status,
            201);
  FailNextOutcome();
  HttpResponse reveal = Call("GET", "/api/v1/environments/acme/values/K");
  EXPECT_EQ(reveal.status, 503);
  EXPECT_EQ(reveal.body.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(reveal.body.find("the change was made"), std::string::npos);
}

}  // namespace
}  // namespace svault::api
