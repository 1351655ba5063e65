# make package (cpack): Debian packages built to Debian's standards (lintian: tests/cli/package.bats).
#   conduit         the commands (stripped), gzipped man pages, completions, copyright, changelog
#   libconduit-dev  headers, libconduit.a (or the .so link), conduit-config.cmake, conduit.pc
#   *-dbgsym        the debug symbols stripped from them (.ddeb), as Debian's dh_strip does
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME conduit)
set(CPACK_PACKAGE_VENDOR "the conduit developers")
# No real address yet: .invalid (RFC 2606) is a well-formed host, which lintian requires
# (localhost is an error, bogus-mail-host). Set the maintainers' address here when there is one.
set(CPACK_PACKAGE_CONTACT "conduit developers <conduit@conduit.invalid>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Strip as Debian's dh_strip does: the debug information is copied into <package>-dbgsym
# (usr/lib/debug/.build-id/...), then the binaries are stripped (objcopy --strip-unneeded) and
# linked to it (.gnu_debuglink). CPACK_STRIP_FILES stays off: it would strip before the copy and
# leave the -dbgsym package empty.
set(CPACK_STRIP_FILES OFF)
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
# Directories 0755 whatever the umask of whoever builds the package.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL commands dev)

set(CPACK_DEBIAN_COMMANDS_PACKAGE_NAME conduit)
set(CPACK_DEBIAN_COMMANDS_PACKAGE_SECTION utils)
set(CPACK_COMPONENT_COMMANDS_DESCRIPTION
"zero-copy cat, tee, netcat and stream encryption for pipelines
 splice-cat and xtee are drop-in replacements for GNU cat and tee that move
 pages with splice(2), tee(2), sendfile(2) and copy_file_range(2) instead of
 copying them through user space. splice-net sends, receives, serves, fans
 out and relays streams over TCP and Unix sockets; hw-encrypt is authenticated
 streaming AES-256-GCM encryption from pipe to pipe.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libconduit-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The installed CMake and pkg-config files ask for OpenSSL's libssl and libcrypto.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libssl-dev (>= 3)")
set(CPACK_COMPONENT_DEV_DESCRIPTION
"zero-copy stream library behind the conduit commands (development files)
 libconduit moves bytes between file descriptors by the cheapest path the
 kernel offers (splice, tee, sendfile, copy_file_range, then read/write),
 fans one input out to many outputs, serves and relays sockets, and encrypts
 streams with AES-256-GCM. This package holds the C++20 headers, the library,
 and the files find_package(conduit) and pkg-config use.")
include(CPack)
