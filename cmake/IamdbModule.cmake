# Helpers that give every iamdb target the same language level and warnings, and make each
# module one static library whose dependencies are declared where it is defined.

# Warnings are errors in our own code; third-party headers come in as system headers.
function(iamdb_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wshadow=local)
    # In a unity build each source is #included by the batch file, so GCC takes a type from an
    # anonymous namespace in a .cc file for one in a header and warns when a class with a name
    # of its own holds it; compiled alone, the same file gets no warning.
    target_compile_options(${target} PRIVATE
      $<$<BOOL:$<TARGET_PROPERTY:UNITY_BUILD>>:-Wno-subobject-linkage>)
  elseif(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # libstdc++ 12 hides <expected> from clang, whose __cpp_concepts lags; its concepts are
    # sufficient for it (clang >= 16), so the fuzz build raises the macro itself.
    target_compile_options(${target} PRIVATE -Wno-macro-redefined -Wno-builtin-macro-redefined)
  endif()
endfunction()

# iamdb_module(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# defines the static library iamdb_<name>; headers are included as "module/file.h".
function(iamdb_module name)
  cmake_parse_arguments(M "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(iamdb_${name} STATIC ${M_SOURCES})
  target_include_directories(iamdb_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(iamdb_${name} PUBLIC ${M_PUBLIC_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  iamdb_warnings(iamdb_${name})
endfunction()
