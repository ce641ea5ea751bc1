# Engine build additions (included from the top-level CMakeLists.txt after
# the libraries are declared): the data-model schemas embedded as a
# generated C source in ai_engine, so the image needs no data files.
file(GLOB ai_schema_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/data-model/class_schemas/*.json)
set(ai_schema_c ${CMAKE_BINARY_DIR}/generated/schema_data.c)
add_custom_command(
  OUTPUT ${ai_schema_c}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/generated
  COMMAND ${CMAKE_COMMAND} -DSRC=${CMAKE_SOURCE_DIR}/data-model -DOUT=${ai_schema_c}
          -P ${CMAKE_SOURCE_DIR}/engine/cmake/embed_schemas.cmake
  DEPENDS ${ai_schema_files} ${CMAKE_SOURCE_DIR}/data-model/relationship-classes.txt
          ${CMAKE_SOURCE_DIR}/engine/cmake/embed_schemas.cmake
  VERBATIM)
target_sources(ai_engine PRIVATE ${ai_schema_c})
