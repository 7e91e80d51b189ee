# cmake -DOUT=file -DPARTS="a.md|b.md" -P ConcatPassDocs.cmake
# Joins the per-component -gen-pass-doc outputs into docs/passes.md.
set(text "<!-- Generated from passes/include/nnm/Passes/*/Passes.td by the build; do not edit.\n")
string(APPEND text "     Refresh with: cmake --build build --target update-pass-docs -->\n")
string(APPEND text "# NNModel passes\n\n")
string(APPEND text "Every `nnm-` pass, as `nnmodel-opt --help` lists it. Pipelines that chain them: ")
string(APPEND text "`nnm-linalg-pipeline`, `nnm-bufferize-pipeline`, `nnm-llvm-pipeline`, `nnm-cpu-pipeline`.\n")
string(REPLACE "|" ";" PARTS "${PARTS}")
foreach(part ${PARTS})
  get_filename_component(dir ${part} DIRECTORY)
  get_filename_component(component ${dir} NAME)
  file(READ ${part} body)
  # Demote the generated headings by one level under a per-component heading.
  string(REPLACE "\n#" "\n##" body "${body}")
  string(APPEND text "\n## ${component}\n\n${body}")
endforeach()
file(WRITE ${OUT}.tmp "${text}")
file(RENAME ${OUT}.tmp ${OUT})
