# What `cmake --install` puts where, split in two CPack components (cmake/package.cmake):
#   commands  the commands, man pages, completions (each cmd/ folder's install rules), the
#             shared library when CONDUIT_SHARED is on, copyright and changelog
#   dev       libconduit: public headers, the static library (or the shared one's link name),
#             conduit-config.cmake (find_package(conduit) -> conduit::core) and conduit.pc, and
#             the embedder's guide (docs/LIBRARY.md) with the examples it quotes
# include/conduit/cli.hpp is not installed: it is the commands' option parsing on CLI11 (GNU
# usage messages, --help layout), compiled into conduit_cli, which is not part of the library.
include(CMakePackageConfigHelpers)

# Compresses `source` into `output` with gzip -9n (no name or timestamp: reproducible, as Debian
# wants man pages and changelogs) as part of the default build, under the target `target`.
function(conduit_gzip source output target)
  get_filename_component(dir ${output} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  add_custom_command(OUTPUT ${output}
    COMMAND gzip -9n -c ${source} > ${output}
    DEPENDS ${source} COMMENT "gzip -9n ${output}")
  add_custom_target(${target} ALL DEPENDS ${output})
endfunction()

set(conduit_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/conduit)
install(TARGETS conduit_core EXPORT conduit-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT commands NAMELINK_COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/conduit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev FILES_MATCHING PATTERN "*.hpp" PATTERN "cli.hpp" EXCLUDE)
install(FILES ${CMAKE_BINARY_DIR}/generated/conduit/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/conduit COMPONENT dev)
install(EXPORT conduit-targets NAMESPACE conduit:: DESTINATION ${conduit_cmake_dir} COMPONENT dev)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/conduit-config.cmake.in
  ${CMAKE_BINARY_DIR}/conduit-config.cmake INSTALL_DESTINATION ${conduit_cmake_dir})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/conduit-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/conduit-config.cmake ${CMAKE_BINARY_DIR}/conduit-config-version.cmake
  DESTINATION ${conduit_cmake_dir} COMPONENT dev)

# conduit.pc finds its prefix from where it lies (${pcfiledir}), so an installed tree can be moved
# (or installed with `cmake --install --prefix`) and still be found through PKG_CONFIG_PATH.
file(RELATIVE_PATH conduit_pc_to_prefix /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" conduit_pc_to_prefix "${conduit_pc_to_prefix}")
if(CONDUIT_SHARED)
  set(conduit_pc_requires "")
  set(conduit_pc_requires_private "libssl libcrypto")
  set(conduit_pc_libs_private "-pthread")
else()
  # A static library: its dependencies belong on every link line, not only with --static.
  set(conduit_pc_requires "libssl libcrypto")
  set(conduit_pc_requires_private "")
  set(conduit_pc_libs_private "")
  set(conduit_pc_libs_static "-pthread")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/conduit.pc.in ${CMAKE_BINARY_DIR}/conduit.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/conduit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)

# Debian: /usr/share/doc/<package>/copyright (machine-readable) and changelog.gz in each package.
# The changelog's newest entry must name the project's version.
file(STRINGS ${PROJECT_SOURCE_DIR}/packaging/changelog conduit_changelog_head LIMIT_COUNT 1)
if(NOT conduit_changelog_head MATCHES "^conduit \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/changelog: the newest entry is not ${PROJECT_VERSION}: "
          "${conduit_changelog_head}")
endif()
conduit_gzip(${PROJECT_SOURCE_DIR}/packaging/changelog ${CMAKE_BINARY_DIR}/changelog.gz conduit-changelog)
foreach(component IN ITEMS commands dev)
  if(component STREQUAL "commands")
    set(doc ${CMAKE_INSTALL_DATADIR}/doc/conduit)
  else()
    set(doc ${CMAKE_INSTALL_DATADIR}/doc/libconduit-dev)
  endif()
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${CMAKE_BINARY_DIR}/changelog.gz
    DESTINATION ${doc} COMPONENT ${component})
endforeach()

# An embedder's documentation goes with the headers: the guide, and the examples it is taken from
# (Debian's place for them: /usr/share/doc/<package>/examples).
install(FILES ${PROJECT_SOURCE_DIR}/docs/LIBRARY.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libconduit-dev COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libconduit-dev/examples COMPONENT dev
  FILES_MATCHING PATTERN "*.cpp" PATTERN "CMakeLists.txt" PATTERN "Makefile")
