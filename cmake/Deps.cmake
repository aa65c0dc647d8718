# Dependencies come only from Debian 12 packages (see scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark QUIET)

# xxHash (libxxhash-dev): header + shared lib.
find_path(XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
find_library(XXHASH_LIBRARY xxhash REQUIRED)
add_library(strata_xxhash INTERFACE)
target_include_directories(strata_xxhash INTERFACE ${XXHASH_INCLUDE_DIR})
target_link_libraries(strata_xxhash INTERFACE ${XXHASH_LIBRARY})

# jemalloc (libjemalloc-dev): the allocator whose statistics give real memory accounting.
# Sanitizer builds keep the sanitizer's allocator; accounting then falls back to mallinfo2.
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
add_library(strata_alloc INTERFACE)
if(NOT STRATA_SANITIZE AND NOT STRATA_FUZZ)
  target_link_libraries(strata_alloc INTERFACE PkgConfig::JEMALLOC)
  target_compile_definitions(strata_alloc INTERFACE STRATA_JEMALLOC=1)
endif()

# LZF (liblzf-dev): compression of list nodes (list-compress-depth). Debian puts lzf.h under
# include/liblzf, which its pkg-config file names.
pkg_check_modules(LZF REQUIRED IMPORTED_TARGET liblzf)

# Lua 5.1 with the cjson and bit libraries (liblua5.1-0-dev, lua-cjson-dev, lua-bitop-dev): the
# scripting engine (EVAL / FUNCTION).
pkg_check_modules(LUA51 REQUIRED IMPORTED_TARGET lua5.1)
pkg_check_modules(LUA51_CJSON REQUIRED IMPORTED_TARGET lua5.1-cjson)
pkg_check_modules(LUA51_BITOP REQUIRED IMPORTED_TARGET lua5.1-bitop)

# nlohmann-json (nlohmann-json3-dev): the JSON codec of the client library. libpqxx
# (libpqxx-dev, with PostgreSQL 15 from postgresql-15): the client library's examples and their
# tests run over a real database.
find_package(nlohmann_json 3 REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
