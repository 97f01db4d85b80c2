# Helpers shared by the bare-metal ports: link with a linker script, write a map file, produce a
# .bin, and a `size` target that prints text/data/bss (arm-none-eabi-size, Berkeley format).
function(tf_add_firmware target linker_script)
  set_target_properties(${target} PROPERTIES SUFFIX ".elf")
  target_link_options(${target} PRIVATE
    -T${linker_script}
    -Wl,-Map=$<TARGET_FILE_DIR:${target}>/${target}.map
    -Wl,--print-memory-usage)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${linker_script})
  if(TF_ARM_OBJCOPY)
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND ${TF_ARM_OBJCOPY} -O binary $<TARGET_FILE:${target}> $<TARGET_FILE_DIR:${target}>/${target}.bin
      VERBATIM)
  endif()
  if(TF_ARM_SIZE)
    if(NOT TARGET size)
      add_custom_target(size)
    endif()
    add_custom_target(size-${target}
      COMMAND ${TF_ARM_SIZE} --format=berkeley $<TARGET_FILE:${target}>
      DEPENDS ${target}
      VERBATIM)
    add_dependencies(size size-${target})
  endif()
endfunction()
