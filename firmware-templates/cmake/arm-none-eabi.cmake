# Toolchain file for bare-metal Arm Cortex-M with Debian's gcc-arm-none-eabi + libnewlib-arm-none-eabi.
#   cmake -S firmware-templates -B build/mps2 -DTF_PORT=mps2-an386 \
#         -DCMAKE_TOOLCHAIN_FILE=firmware-templates/cmake/arm-none-eabi.cmake
# TF_ARM_CPU_FLAGS selects the core; the default suits Cortex-M4F (mps2-an386, nRF52840).
# For a Cortex-M7 (STM32H7): -DTF_ARM_CPU_FLAGS="-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16".
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TF_ARM_PREFIX "arm-none-eabi-" CACHE STRING "Cross tool prefix")
set(TF_ARM_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" CACHE STRING "Core flags")

set(CMAKE_C_COMPILER ${TF_ARM_PREFIX}gcc)
set(CMAKE_ASM_COMPILER ${TF_ARM_PREFIX}gcc)
set(CMAKE_AR ${TF_ARM_PREFIX}ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${TF_ARM_PREFIX}ranlib CACHE FILEPATH "")
find_program(TF_ARM_SIZE ${TF_ARM_PREFIX}size)
find_program(TF_ARM_OBJCOPY ${TF_ARM_PREFIX}objcopy)

# No host libraries: the compiler check links a static library, not an executable.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT "${TF_ARM_CPU_FLAGS} -ffunction-sections -fdata-sections -fno-common")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${TF_ARM_CPU_FLAGS} -nostartfiles -Wl,--gc-sections --specs=nano.specs --specs=nosys.specs")
set(CMAKE_C_FLAGS_RELEASE_INIT "-Os")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-Os")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
