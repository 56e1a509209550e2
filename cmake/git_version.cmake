# Writes ${OUT} with the current git commit, at build time (not only at configure time), and only
# when it changed, so that a run's lineage names the commit the binary was built from.
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
set(content "// Generated at build time by cmake/git_version.cmake.\n#pragma once\n\nnamespace mloop {\ninline constexpr const char* kGitCommit = \"${commit}\";\n}  // namespace mloop\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE ${OUT} "${content}")
endif()
