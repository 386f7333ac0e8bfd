# The floors of shared/ link only downward: train includes nothing of measure or report,
# measure nothing of report, ranks (processes) nothing of measure or report. Every header
# is included by its floor's folder ("measure/results.hpp"), so a look at the #include
# lines tells which floor a file reaches.
#
#   cmake -DROOT=<source dir> -P tests/check_floors.cmake
# Exits non-zero, naming each file and line, when an include reaches up a floor.
if(NOT ROOT)
  message(FATAL_ERROR "pass -DROOT=<the source folder>")
endif()
set(forbidden_train "measure/" "report/")
set(forbidden_measure "report/")
set(forbidden_ranks "measure/" "report/")
set(violations "")
foreach(floor train measure ranks)
  file(GLOB_RECURSE sources "${ROOT}/shared/${floor}/*.hpp" "${ROOT}/shared/${floor}/*.cpp")
  if(NOT sources)
    message(FATAL_ERROR "no sources under ${ROOT}/shared/${floor}: is ROOT right?")
  endif()
  foreach(src IN LISTS sources)
    file(STRINGS "${src}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]")
    foreach(line IN LISTS includes)
      foreach(up IN LISTS forbidden_${floor})
        if(line MATCHES "[\"<]${up}")
          file(RELATIVE_PATH rel "${ROOT}" "${src}")
          list(APPEND violations "${rel}: '${line}' reaches up from ${floor} into ${up}")
        endif()
      endforeach()
    endforeach()
  endforeach()
endforeach()
if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "includes that break the floors (train <- measure <- report):\n  ${text}")
endif()
message(STATUS "floors hold: train and ranks include no measure or report, measure no report")
