# Embeds migrations/NNNN_name.sql into ai_storage as a generated C source.
# Included from the top-level CMakeLists.txt after ai_library(ai_storage ...).
file(GLOB AI_MIGRATION_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/migrations/[0-9][0-9][0-9][0-9]_*.sql)
list(SORT AI_MIGRATION_FILES)
set(AI_MIGRATIONS_C ${CMAKE_BINARY_DIR}/generated/migrations_data.c)
add_custom_command(
  OUTPUT ${AI_MIGRATIONS_C}
  COMMAND ${CMAKE_COMMAND} -DOUT=${AI_MIGRATIONS_C} "-DFILES=${AI_MIGRATION_FILES}"
          -P ${CMAKE_SOURCE_DIR}/storage/migrations_embed.cmake
  DEPENDS ${AI_MIGRATION_FILES} ${CMAKE_SOURCE_DIR}/storage/migrations_embed.cmake
  COMMENT "Embedding SQL migrations"
  VERBATIM)
target_sources(ai_storage PRIVATE ${AI_MIGRATIONS_C})
