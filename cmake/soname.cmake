# maso_soname(VAR PREFIX): the SONAME of the shared library that
# pkg_check_modules(PREFIX ...) found (the first of ${PREFIX}_LINK_LIBRARIES),
# read from its dynamic section with objdump.  The optional codec and
# download libraries (libheif, libjxl, libtiff, libcurl) are not linked: the
# programs dlopen this name when a file needs them (core/base/library.c,
# cli/download.c), so the name is the one of the library the build was
# compiled against, never a hard-coded guess.
function(maso_soname var prefix)
  list(GET ${prefix}_LINK_LIBRARIES 0 lib)
  if(NOT lib OR NOT EXISTS "${lib}")
    message(FATAL_ERROR "maso_soname: no library found for ${prefix}")
  endif()
  find_program(MASO_OBJDUMP NAMES objdump ${CMAKE_OBJDUMP})
  if(NOT MASO_OBJDUMP)
    message(FATAL_ERROR "maso_soname: objdump (binutils) is needed to read ${lib}'s SONAME")
  endif()
  execute_process(COMMAND ${MASO_OBJDUMP} -p "${lib}"
    OUTPUT_VARIABLE dump RESULT_VARIABLE rc ERROR_QUIET)
  string(REGEX MATCH "SONAME[ \t]+([^ \t\r\n]+)" found "${dump}")
  if(NOT rc EQUAL 0 OR NOT found)
    message(FATAL_ERROR "maso_soname: ${lib} has no SONAME (a shared library is needed)")
  endif()
  set(${var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()
