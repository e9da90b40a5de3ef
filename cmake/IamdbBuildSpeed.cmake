# How the project compiles fast from an empty cache; none of it changes what the code does.
#
# Unity builds: each target's sources are compiled a few at a time as one translation unit, so
# that the heavy headers (Boost.Asio/Beast, nlohmann_json, spdlog/fmt, CLI11, GoogleTest) are
# parsed and their templates instantiated and optimised once per batch rather than once per
# file. A target whose sources cannot share a translation unit sets UNITY_BUILD OFF where it is
# defined. -DCMAKE_UNITY_BUILD=OFF compiles file by file (each source must still compile alone:
# every source includes what it uses).
if(NOT DEFINED CMAKE_UNITY_BUILD)
  set(CMAKE_UNITY_BUILD ON)
endif()
if(NOT DEFINED CMAKE_UNITY_BUILD_BATCH_SIZE)
  set(CMAKE_UNITY_BUILD_BATCH_SIZE 8)
endif()
