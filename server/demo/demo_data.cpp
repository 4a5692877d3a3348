#include "server/demo/demo_data.hpp"

#include <array>

#include "server/backend/embedded/import.hpp"

namespace dc {

Json demo_schema_json() {
  static const char* text = R"JSON({
  "tables": {
    "users": {
      "documentType": {"type": "object", "value": {
        "name": {"fieldType": {"type": "string"}, "optional": false},
        "email": {"fieldType": {"type": "string"}, "optional": false},
        "role": {"fieldType": {"type": "union", "value": [
          {"type": "literal", "value": "admin"}, {"type": "literal", "value": "editor"}, {"type": "literal", "value": "member"}]}, "optional": false},
        "credits": {"fieldType": {"type": "number"}, "optional": false},
        "nickname": {"fieldType": {"type": "string"}, "optional": true},
        "address": {"fieldType": {"type": "object", "value": {
          "city": {"fieldType": {"type": "string"}, "optional": false},
          "country": {"fieldType": {"type": "string"}, "optional": false}}}, "optional": true}
      }},
      "indexes": [
        {"indexDescriptor": "by_email", "fields": ["email"]},
        {"indexDescriptor": "by_role_credits", "fields": ["role", "credits"]}
      ],
      "searchIndexes": [],
      "unique": [["email"]]
    },
    "profiles": {
      "documentType": {"type": "object", "value": {
        "userId": {"fieldType": {"type": "id", "tableName": "users"}, "optional": false},
        "bio": {"fieldType": {"type": "string"}, "optional": false},
        "website": {"fieldType": {"type": "union", "value": [{"type": "string"}, {"type": "null"}]}, "optional": true}
      }},
      "indexes": [{"indexDescriptor": "by_user", "fields": ["userId"]}],
      "searchIndexes": [],
      "unique": [["userId"]]
    },
    "posts": {
      "documentType": {"type": "object", "value": {
        "authorId": {"fieldType": {"type": "id", "tableName": "users"}, "optional": false},
        "title": {"fieldType": {"type": "string"}, "optional": false},
        "body": {"fieldType": {"type": "string"}, "optional": false},
        "published": {"fieldType": {"type": "boolean"}, "optional": false},
        "category": {"fieldType": {"type": "union", "value": [{"type": "string"}, {"type": "null"}]}, "optional": true},
        "views": {"fieldType": {"type": "number"}, "optional": false}
      }},
      "indexes": [
        {"indexDescriptor": "by_author", "fields": ["authorId"]},
        {"indexDescriptor": "by_published_views", "fields": ["published", "views"]},
        {"indexDescriptor": "by_category", "fields": ["category"]}
      ],
      "searchIndexes": [{"indexDescriptor": "search_body", "searchField": "body", "filterFields": ["published"]}],
      "unique": []
    },
    "comments": {
      "documentType": {"type": "object", "value": {
        "postId": {"fieldType": {"type": "id", "tableName": "posts"}, "optional": false},
        "authorId": {"fieldType": {"type": "id", "tableName": "users"}, "optional": false},
        "body": {"fieldType": {"type": "string"}, "optional": false}
      }},
      "indexes": [
        {"indexDescriptor": "by_post", "fields": ["postId"]},
        {"indexDescriptor": "by_author", "fields": ["authorId"]}
      ],
      "searchIndexes": [],
      "unique": []
    },
    "tags": {
      "documentType": {"type": "object", "value": {
        "name": {"fieldType": {"type": "string"}, "optional": false}
      }},
      "indexes": [{"indexDescriptor": "by_name", "fields": ["name"]}],
      "searchIndexes": [],
      "unique": [["name"]]
    },
    "postTags": {
      "documentType": {"type": "object", "value": {
        "postId": {"fieldType": {"type": "id", "tableName": "posts"}, "optional": false},
        "tagId": {"fieldType": {"type": "id", "tableName": "tags"}, "optional": false}
      }},
      "indexes": [
        {"indexDescriptor": "by_post", "fields": ["postId"]},
        {"indexDescriptor": "by_tag", "fields": ["tagId"]}
      ],
      "searchIndexes": [],
      "unique": [["postId", "tagId"]]
    }
  },
  "relations": {
    "users": {
      "posts": {"many": "posts", "from": "_id", "to": "authorId"},
      "profile": {"one": "profiles", "from": "_id", "to": "userId"},
      "comments": {"many": "comments", "from": "_id", "to": "authorId"}
    },
    "profiles": {"user": {"one": "users", "from": "userId", "to": "_id", "onDelete": "cascade"}},
    "posts": {
      "author": {"one": "users", "from": "authorId", "to": "_id", "onDelete": "cascade"},
      "comments": {"many": "comments", "from": "_id", "to": "postId"},
      "tags": {"many": "tags", "from": "_id", "to": "_id", "through": {"table": "postTags", "from": "postId", "to": "tagId"}}
    },
    "comments": {
      "post": {"one": "posts", "from": "postId", "to": "_id", "onDelete": "cascade"},
      "author": {"one": "users", "from": "authorId", "to": "_id", "onDelete": "cascade"}
    },
    "tags": {
      "posts": {"many": "posts", "from": "_id", "to": "_id", "through": {"table": "postTags", "from": "tagId", "to": "postId"}}
    },
    "postTags": {
      "post": {"one": "posts", "from": "postId", "to": "_id", "onDelete": "cascade"},
      "tag": {"one": "tags", "from": "tagId", "to": "_id", "onDelete": "cascade"}
    }
  }
})JSON";
  return Json::parse(text);
}

namespace {

// A small deterministic generator (64-bit LCG), so the demo is the same on every machine.
class Lcg {
 public:
  uint32_t next() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state_ >> 33);
  }
  uint32_t below(uint32_t n) { return next() % n; }

 private:
  uint64_t state_ = 20261121;
};

Object obj(std::initializer_list<std::pair<std::string, Value>> fields) { return Object(fields); }

}  // namespace

Result<size_t> load_demo_data(Store& store, IdGenerator& ids) {
  Lcg rng;
  constexpr std::array first = {"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Dennis", "Margaret", "John",
                                "Frances", "Tony", "Radia", "Leslie", "Niklaus", "Hedy", "Linus", "Guido", "Bjarne", "Anders"};
  constexpr std::array last = {"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Thompson", "Ritchie",
                               "Hamilton", "McCarthy", "Allen", "Hoare", "Perlman", "Lamport", "Wirth", "Lamarr"};
  constexpr std::array cities = {std::pair{"Paris", "FR"}, std::pair{"London", "GB"}, std::pair{"Berlin", "DE"},
                                 std::pair{"Lyon", "FR"}, std::pair{"Boston", "US"}};
  constexpr std::array words = {"convex", "query", "index", "planner", "relation", "drizzle", "live", "socket",
                                "cursor", "filter", "budget", "schema", "engine", "proxy", "stream", "cache"};
  constexpr std::array categories = {"news", "howto", "release", "opinion"};
  constexpr std::array tag_names = {"cpp", "typescript", "databases", "performance", "testing", "networking",
                                    "security", "design", "tutorial", "release-notes", "convex", "drizzle"};
  double t = 1767225600000.0;  // 2026-01-01T00:00:00Z
  auto tick = [&] { return Value(t += 1000.0 + rng.below(60000)); };
  size_t count = 0;
  auto add = [&](const char* table, Object fields, std::string* id_out) -> Status {
    std::string id = ids.next(store.table(table)->number());
    Object full;
    full.emplace_back("_id", Value(id));
    full.emplace_back("_creationTime", tick());
    for (auto& f : fields) full.push_back(std::move(f));
    if (auto st = load_document(store, ids, table, Value(std::move(full)), std::string("demo ") + table); !st) return st;
    ++count;
    if (id_out) *id_out = id;
    return Ok{};
  };

  std::vector<std::string> users, posts, tags;
  for (size_t i = 0; i < 40; ++i) {
    std::string name = std::string(first[i % first.size()]) + " " + last[(i * 7) % last.size()];
    std::string email = std::string(first[i % first.size()]) + "." + last[(i * 7) % last.size()] + std::to_string(i) + "@example.com";
    for (auto& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const char* role = i % 8 == 0 ? "admin" : i % 3 == 0 ? "editor" : "member";
    Object f = obj({{"name", Value(name)}, {"email", Value(email)}, {"role", Value(role)},
                    {"credits", Value(static_cast<double>(rng.below(500)))}});
    if (i % 4 == 1) f.emplace_back("nickname", Value(std::string(first[i % first.size()]).substr(0, 3)));
    if (i % 3 != 2) {
      auto [city, country] = cities[rng.below(cities.size())];
      f.emplace_back("address", Value(obj({{"city", Value(city)}, {"country", Value(country)}})));
    }
    std::string id;
    if (auto st = add("users", std::move(f), &id); !st) return std::move(st).error();
    users.push_back(id);
  }
  for (size_t i = 0; i < users.size(); ++i) {
    if (i % 5 == 4) continue;  // some users have no profile
    Object f = obj({{"userId", Value(users[i])}, {"bio", Value("Writes about " + std::string(words[rng.below(words.size())]))}});
    if (i % 2 == 0) f.emplace_back("website", i % 4 == 0 ? Value(nullptr) : Value("https://example.com/u" + std::to_string(i)));
    if (auto st = add("profiles", std::move(f), nullptr); !st) return std::move(st).error();
  }
  for (const char* n : tag_names) {
    std::string id;
    if (auto st = add("tags", obj({{"name", Value(n)}}), &id); !st) return std::move(st).error();
    tags.push_back(id);
  }
  for (size_t i = 0; i < 150; ++i) {
    const std::string& author = users[rng.below(static_cast<uint32_t>(users.size()))];
    std::string title = std::string(words[rng.below(words.size())]) + " " + words[rng.below(words.size())] + " #" + std::to_string(i);
    std::string body;
    for (int w = 0; w < 12; ++w) body += std::string(w ? " " : "") + words[rng.below(words.size())];
    Object f = obj({{"authorId", Value(author)}, {"title", Value(title)}, {"body", Value(body)},
                    {"published", Value(rng.below(4) != 0)}, {"views", Value(static_cast<double>(rng.below(10000)))}});
    uint32_t c = rng.below(6);
    if (c < 4) f.emplace_back("category", Value(categories[c]));
    else if (c == 4) f.emplace_back("category", Value(nullptr));
    std::string id;
    if (auto st = add("posts", std::move(f), &id); !st) return std::move(st).error();
    posts.push_back(id);
  }
  for (size_t i = 0; i < 300; ++i) {
    Object f = obj({{"postId", Value(posts[rng.below(static_cast<uint32_t>(posts.size()))])},
                    {"authorId", Value(users[rng.below(static_cast<uint32_t>(users.size()))])},
                    {"body", Value("Comment " + std::to_string(i) + " on " + words[rng.below(words.size())])}});
    if (auto st = add("comments", std::move(f), nullptr); !st) return std::move(st).error();
  }
  for (size_t p = 0; p < posts.size(); ++p) {
    uint32_t n = rng.below(4);
    uint32_t start = rng.below(static_cast<uint32_t>(tags.size()));
    for (uint32_t k = 0; k < n; ++k) {
      Object f = obj({{"postId", Value(posts[p])}, {"tagId", Value(tags[(start + k * 5) % tags.size()])}});
      if (auto st = add("postTags", std::move(f), nullptr); !st) return std::move(st).error();
    }
  }
  return count;
}

}  // namespace dc
