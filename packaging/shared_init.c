/* shared_init.c -- libmaso.so is the static library's objects linked
 * whole (packaging/CMakeLists.txt); a shared library target needs one
 * source of its own, and this is it.  It defines nothing. */
typedef int maso_shared_library_has_no_code_of_its_own;
