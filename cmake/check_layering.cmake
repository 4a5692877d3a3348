# The layering rule, checked on every build (cmake -P, so it runs wherever
# CMake does): each module may include only the modules below it, and the
# pure modules include no Asio, Beast or OpenSSL. A violation fails the
# build with the file, the include and the rule it breaks.
#
# Usage: cmake -DSOURCE_DIR=<repo> -P cmake/check_layering.cmake

set(seam "server/backend/backend.hpp")
set(network_headers "boost/asio" "boost/beast" "openssl/")

# module directory → project include prefixes it may use (its own is implied)
set(allow_protocol "")
set(allow_server/common "")
set(allow_server/schema "protocol/")
set(allow_server/planner "protocol/;server/schema/")
set(allow_server/backend "protocol/;server/common/;server/schema/;server/planner/")
set(allow_server/backend/embedded "protocol/;server/common/;server/schema/;server/planner/;${seam}")
set(allow_server/demo "protocol/;server/schema/;server/planner/;server/backend/embedded/")
set(allow_server/live "protocol/;server/common/;server/schema/;server/planner/;${seam}")
set(allow_server/access "protocol/;server/common/;server/schema/;server/planner/")
set(allow_server/pipeline "protocol/;server/common/;server/access/;server/schema/;server/planner/;${seam};server/live/")
set(allow_server/backend/convex "protocol/;server/common/;server/schema/;server/planner/;${seam}")
set(allow_server/net "protocol/;server/common/;server/access/;server/schema/;server/planner/;${seam};server/live/;server/pipeline/")
# The composition root: everything of the server, nothing of the client.
set(allow_server/app "protocol/;server/common/;server/access/;server/schema/;server/planner/;${seam};server/backend/embedded/;server/backend/convex/;server/demo/;server/live/;server/pipeline/;server/net/")
set(allow_client "protocol/")
set(allow_client/src "protocol/;drizzle_convex/")
set(allow_client/include/drizzle_convex "drizzle_convex/")
set(allow_client/include/drizzle_convex/typed "drizzle_convex/")
# dcq codegen reads a schema file with the server's own loader (pure), so a
# file means the same to both
set(allow_client/dcq "drizzle_convex/;protocol/;server/schema/")
# modules that may touch the network
set(networked "server/backend/convex;server/net;server/app;client;client/src;client/include/drizzle_convex")
# modules that may use OpenSSL's crypto, but no Asio or Beast
set(crypto "server/access")

set(modules protocol server/common server/access server/schema server/planner server/backend server/backend/embedded server/demo
    server/live server/pipeline server/backend/convex server/net server/app client client/src client/include/drizzle_convex client/include/drizzle_convex/typed client/dcq)

set(violations "")
foreach(module IN LISTS modules)
  file(GLOB files "${SOURCE_DIR}/${module}/*.hpp" "${SOURCE_DIR}/${module}/*.cpp")
  set(allowed "${allow_${module}};${module}/")
  list(FIND networked "${module}" net_index)
  list(FIND crypto "${module}" crypto_index)
  foreach(file IN LISTS files)
    file(STRINGS "${file}" includes REGEX "^#include [<\"]")
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${file}")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include [<\"]([^>\"]+)[>\"].*" "\\1" inc "${line}")
      if(line MATCHES "^#include <")
        if(net_index EQUAL -1)
          foreach(h IN LISTS network_headers)
            string(FIND "${inc}" "${h}" at)
            if(at EQUAL 0 AND NOT (crypto_index GREATER -1 AND h STREQUAL "openssl/"))
              list(APPEND violations "${rel}: <${inc}> — ${module} is a pure module (no Asio, Beast or OpenSSL)")
            endif()
          endforeach()
        endif()
        continue()
      endif()
      set(ok FALSE)
      foreach(prefix IN LISTS allowed)
        if(prefix STREQUAL "")
          continue()
        endif()
        string(FIND "${inc}" "${prefix}" at)
        if(at EQUAL 0)
          # a module's own prefix also matches its subfolders; those are other modules
          string(LENGTH "${prefix}" plen)
          string(SUBSTRING "${inc}" ${plen} -1 rest)
          if(NOT rest MATCHES "/" OR NOT prefix STREQUAL "${module}/")
            set(ok TRUE)
          endif()
        endif()
      endforeach()
      if(NOT ok)
        list(JOIN allowed ", " allowed_text)
        list(APPEND violations "${rel}: \"${inc}\" — ${module} may include only: ${allowed_text}")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "layering violations:\n  ${text}")
endif()
