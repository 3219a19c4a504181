# CMake toolchain file for xenolith apps (installed by make install):
#   cmake -DCMAKE_TOOLCHAIN_FILE=PREFIX/lib/cmake/xenolith/xenolith-toolchain.cmake ..
# Every C target is compiled for the kernel's target, and every executable is linked
# into a bootable PVH ELF, by xenolith-cc. Executables get the suffix .elf.
# XENOLITH_NET is always available: liblwip links only into apps that call sockets.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
get_filename_component(XENOLITH_PREFIX "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(CMAKE_C_COMPILER "${XENOLITH_PREFIX}/bin/xenolith-cc")
set(CMAKE_EXECUTABLE_SUFFIX_C .elf)
set(CMAKE_EXECUTABLE_SUFFIX .elf)
# Compiler checks build a static library: no link needed to probe the compiler.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH "${XENOLITH_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
