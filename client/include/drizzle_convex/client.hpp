// The blocking interface: each call waits for its answer. The client runs
// its own I/O thread and shares one keep-alive pool between calls, so it is
// safe to call from many threads at once.
//
//   Client client({.url = "http://127.0.0.1:8787", .token = token});
//   Db db;
//   Result<Json> rows = client.query(db.query("users").find_many({.limit = 10}));
//   if (!rows) std::cerr << rows.error().describe() << "\n";
#pragma once

#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "drizzle_convex/options.hpp"
#include "drizzle_convex/query.hpp"
#include "drizzle_convex/result.hpp"
#include "drizzle_convex/subscription.hpp"
#include "drizzle_convex/typed/request.hpp"

namespace drizzle_convex {

class AsyncClient;
class Client;

// One page of a paginate read.
struct Page {
  Json rows;  // the page's rows (an array)
  std::string continue_cursor;
  bool is_done = false;
};

// `for (const Result<Page>& page : client.pages(query))`: fetches page after
// page until one says isDone; an error is yielded once and ends the range.
class Pages {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Result<Page>;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    iterator() = default;
    reference operator*() const { return *current_; }
    pointer operator->() const { return &*current_; }
    iterator& operator++();
    bool operator==(const iterator& other) const { return pages_ == other.pages_; }

   private:
    friend class Pages;
    explicit iterator(Pages* pages);
    void fetch();
    Pages* pages_ = nullptr;
    std::optional<Result<Page>> current_;
  };

  Pages(Client& client, ReadQuery query, CallOptions options) : client_(&client), query_(std::move(query)), options_(std::move(options)) {}
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  Client* client_;
  ReadQuery query_;
  CallOptions options_;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<Json> query(const ReadQuery& q, const CallOptions& o = {});
  Result<Json> query(const Json& raw, const CallOptions& o = {});
  Result<Json> mutate(const Mutation& m, const CallOptions& o = {});
  Result<Json> mutate(const Json& raw, const CallOptions& o = {});
  Result<Json> explain(const Json& raw, const CallOptions& o = {});
  Result<Json> schema(const CallOptions& o = {});
  Result<Page> page(const ReadQuery& paginate, const CallOptions& o = {});
  Pages pages(ReadQuery paginate, CallOptions o = {}) { return Pages(*this, std::move(paginate), std::move(o)); }

  // See AsyncClient::watch; callbacks run on the client's I/O thread.
  Subscription watch(const ReadQuery& q, std::function<void(const Json&)> on_change,
                     std::function<void(const Error&)> on_error = {}, WatchOptions options = {});
  Subscription watch(const Json& raw, std::function<void(const Json&)> on_change,
                     std::function<void(const Error&)> on_error = {}, WatchOptions options = {});

  // Typed requests (drizzle_convex/typed.hpp and a generated header): the
  // answer decoded into the request's result type.
  template <TypedRead Q>
  Result<typename Q::result_type> query(const Q& q, const CallOptions& o = {}) {
    Result<Json> raw = query(q.json(), o);
    if (!raw) return std::move(raw).error();
    return Q::decode(*raw);
  }
  template <TypedMutation Q>
  Result<typename Q::result_type> mutate(const Q& m, const CallOptions& o = {}) {
    Result<Json> raw = mutate(m.json(), o);
    if (!raw) return std::move(raw).error();
    return Q::decode(*raw);
  }
  template <TypedRead Q>
  Subscription watch(const Q& q, std::function<void(const typename Q::result_type&)> on_change,
                     std::function<void(const Error&)> on_error = {}, WatchOptions options = {}) {
    return watch(q.json(), detail::typed_listener<Q>(std::move(on_change), on_error), on_error, std::move(options));
  }

  AsyncClient& async();

 private:
  struct Runner;
  std::unique_ptr<Runner> runner_;
};

}  // namespace drizzle_convex
