# Turns every shaders/*.glsl into a C++ raw string constant in one header.
# Run by CMake at build time: cmake -DOUT=<header> -DSRC_DIR=<shaders> -P embed.cmake
file(GLOB files "${SRC_DIR}/*.glsl")
set(text "// Generated from shaders/*.glsl by shaders/embed.cmake. Do not edit.\n#pragma once\n")
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} body)
  string(APPEND text "static const char* const kShader_${name} = R\"GLSL(${body})GLSL\";\n")
endforeach()
file(WRITE ${OUT} "${text}")
