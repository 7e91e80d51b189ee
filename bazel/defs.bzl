"""Bazel rules for NNModel: compile an ONNX model into a C/C++ library at build time.

    load("@nnmodel//bazel:defs.bzl", "nn_model")

    nn_model(name = "mnist", src = "mnist.onnx", version = "1.2.0")

    cc_binary(name = "app", srcs = ["app.cc"], deps = [":mnist"])

    # CPU and CUDA code in one library (the CUDA toolkit is needed to build it,
    # not to link or run it):
    nn_model(name = "detector", src = "detector.onnx", targets = ["cpu", "cuda"],
             cuda_archs = ["80", "90"])

`nn_model` runs `nnmodel compile` as one hermetic action whose inputs are the
model, the files named in `data` and the compiler, and whose outputs are
`<name>/lib<model_name>.a`, `<name>/<model_name>.h` and `<name>/<model_name>.json`
in the package's output directory. The target provides `CcInfo` (the header's
include directories, the static library, and NNModel's runtime library), so it
goes straight into `deps` of `cc_library`, `cc_binary` and `cc_test`. The one
exception to the hermetic inputs: the cuda target reads the CUDA toolkit (`cuda_path`,
default /usr/local/cuda) from the machine that runs the action.

The compiler and the runtime are `@nnmodel//:compiler` and `@nnmodel//:runtime`;
see docs/bazel.md for bringing them into a workspace (`nnmodel_dependencies()` in
WORKSPACE, or the `nnmodel` module extension with Bzlmod).

Works on Bazel 4.2.3 and on current Bazel: the C++ symbols come from rules_cc
(`//cc/common`, `//cc:find_cc_toolchain.bzl`), nothing here uses APIs that later
Bazel releases removed.
"""

load("@rules_cc//cc:find_cc_toolchain.bzl", "find_cc_toolchain", "use_cc_toolchain")
load("@rules_cc//cc/common:cc_common.bzl", "cc_common")
load("@rules_cc//cc/common:cc_info.bzl", "CcInfo")

NnModelInfo = provider(
    doc = "What one nn_model target compiled.",
    fields = {
        "model_name": "the C identifier of the model (symbols are <model_name>_v<major>_*)",
        "version": "the model version given to the compiler, or \"\" for its default",
        "library": "File: lib<model_name>.a",
        "header": "File: <model_name>.h",
        "metadata": "File: <model_name>.json",
        "src": "File: the source .onnx model",
    },
)

# Flags the rule sets itself from attributes: `opts` must not repeat them.
_RESERVED_FLAGS = {
    "-o": "the rule chooses the output directory",
    "--output": "the rule chooses the output directory",
    "--name": "use the model_name attribute",
    "--version": "use the version attribute",
    "--target": "use the targets attribute",
    "--cpu": "use the cpu attribute",
    "--cuda-arch": "use the cuda_archs attribute",
    "--cuda-path": "use the cuda_path attribute",
    "--emit": "nn_model always produces the library",
}

_IDENT_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_IDENT_REST = _IDENT_FIRST + "0123456789"

def _is_identifier(s):
    if not s or s[0] not in _IDENT_FIRST:
        return False
    for c in s.elems():
        if c not in _IDENT_REST:
            return False
    return True

def _is_version(s):
    parts = s.split(".")
    if len(parts) != 3:
        return False
    for p in parts:
        if not p or not p.isdigit():
            return False
    return True

# Where the compile finds ptxas and libdevice when cuda_path is empty.
_DEFAULT_CUDA_PATH = "/usr/local/cuda"

def _cuda_arch(ctx, value):
    """Maps "80" or "sm_80" to "sm_80"; fails on anything else."""
    digits = value[3:] if value.startswith("sm_") else value
    if len(digits) < 2 or not digits.isdigit() or digits[0] == "0":
        fail("%s: cuda_archs value '%s' is not a CUDA architecture: give the compute " %
             (ctx.label, value) + "capability as a number (\"80\" for sm_80), e.g. " +
             "cuda_archs = [\"80\", \"90\"]")
    return "sm_" + digits

def _check_opts(ctx, opts, cuda):
    for i, opt in enumerate(opts):
        flag = opt.split("=", 1)[0]
        if flag in _RESERVED_FLAGS:
            fail("%s: opts may not contain '%s': %s" % (ctx.label, flag, _RESERVED_FLAGS[flag]))

        # The cuda target's host code is x86-64 only; say so at analysis, not in the action.
        if cuda and flag == "--target-triple":
            triple = opt.split("=", 1)[1] if "=" in opt else (opts[i + 1] if i + 1 < len(opts) else "")
            if not triple.startswith("x86_64"):
                fail("%s: targets has \"cuda\", whose host code must be x86_64, but opts " %
                     ctx.label + "give --target-triple '%s': compile that model for " % triple +
                     "[\"cpu\"] only")

def _nn_model_impl(ctx):
    model_name = ctx.attr.model_name or ctx.label.name
    if not _is_identifier(model_name):
        fail("%s: the model name '%s' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*); " %
             (ctx.label, model_name) + "set model_name")
    version = ctx.attr.version
    if version and not _is_version(version):
        fail("%s: version '%s' is not of the form X.Y.Z" % (ctx.label, version))
    if not ctx.attr.targets:
        fail("%s: targets must name at least one back end (e.g. [\"cpu\"])" % ctx.label)
    cuda = "cuda" in ctx.attr.targets
    for attr_name in ["cuda_archs", "cuda_path"]:
        if getattr(ctx.attr, attr_name) and not cuda:
            fail("%s: %s is set but targets (%s) has no \"cuda\": write " %
                 (ctx.label, attr_name, ", ".join(ctx.attr.targets)) +
                 "targets = [\"cpu\", \"cuda\"] (or [\"cuda\"])")
    cuda_archs = []
    for value in ctx.attr.cuda_archs:
        arch = _cuda_arch(ctx, value)
        if arch not in cuda_archs:
            cuda_archs.append(arch)
    cuda_path = ctx.attr.cuda_path or _DEFAULT_CUDA_PATH
    if cuda and not cuda_path.startswith("/"):
        fail("%s: cuda_path '%s' must be an absolute path (the toolkit is not an input " %
             (ctx.label, cuda_path) + "of the action)")

    # Outputs live under <package>/<target name>/ so that two targets compiling the
    # same model name (two versions of one model) never collide.
    out = ctx.label.name + "/"
    library = ctx.actions.declare_file(out + "lib" + model_name + ".a")
    header = ctx.actions.declare_file(out + model_name + ".h")
    metadata = ctx.actions.declare_file(out + model_name + ".json")

    opts = [ctx.expand_location(o, ctx.attr.data) for o in ctx.attr.opts]
    _check_opts(ctx, opts, cuda)

    # Every path below is relative to the execution root, so the command line,
    # and with it the action key, is the same in every workspace and output base.
    args = ctx.actions.args()
    args.add("compile")
    args.add(ctx.file.src)
    args.add("--name", model_name)
    if version:
        args.add("--version", version)
    for target in ctx.attr.targets:
        args.add("--target", target)
    if cuda_archs:
        args.add("--cuda-arch", ",".join(cuda_archs))
    if cuda:
        # Explicit, because the action's environment holds no CUDA_PATH.
        args.add("--cuda-path", cuda_path)
    if ctx.attr.cpu:
        args.add("--cpu", ctx.attr.cpu)
    args.add_all(opts)
    args.add("--quiet")  # the action's progress message says what is built
    args.add("-o", header.dirname)

    ctx.actions.run(
        executable = ctx.executable._compiler,
        arguments = [args],
        inputs = [ctx.file.src] + ctx.files.data,
        outputs = [library, header, metadata],
        mnemonic = "NNModelCompile",
        progress_message = "Compiling ONNX model %s (%s %s)" % (
            ctx.label,
            model_name,
            version or "default version",
        ),
    )

    cc_toolchain = find_cc_toolchain(ctx)
    feature_configuration = cc_common.configure_features(
        ctx = ctx,
        cc_toolchain = cc_toolchain,
        requested_features = ctx.features,
        unsupported_features = ctx.disabled_features,
    )
    library_to_link = cc_common.create_library_to_link(
        actions = ctx.actions,
        feature_configuration = feature_configuration,
        cc_toolchain = cc_toolchain,
        static_library = library,
    )
    linker_input = cc_common.create_linker_input(
        owner = ctx.label,
        libraries = depset([library_to_link]),
        user_link_flags = depset(["-lm"]),
    )

    # `#include "mlp.h"` (the target's directory) and `#include "mlp_v1/mlp.h"`
    # (the package's output directory; use this form when two versions of one
    # model meet in one translation unit).
    compilation_context = cc_common.create_compilation_context(
        headers = depset([header]),
        includes = depset([header.dirname, _dirname(header.dirname)]),
    )
    own = CcInfo(
        compilation_context = compilation_context,
        linking_context = cc_common.create_linking_context(
            linker_inputs = depset([linker_input]),
        ),
    )
    cc_info = cc_common.merge_cc_infos(
        direct_cc_infos = [own],
        cc_infos = [ctx.attr._runtime[CcInfo]],
    )

    return [
        DefaultInfo(files = depset([library, header, metadata])),
        cc_info,
        NnModelInfo(
            model_name = model_name,
            version = version,
            library = library,
            header = header,
            metadata = metadata,
            src = ctx.file.src,
        ),
        OutputGroupInfo(
            nnmodel_header = depset([header]),
            nnmodel_library = depset([library]),
            nnmodel_metadata = depset([metadata]),
        ),
    ]

def _dirname(path):
    i = path.rfind("/")
    return path[:i] if i > 0 else "."

nn_model = rule(
    implementation = _nn_model_impl,
    doc = """Compiles an ONNX model into a static library and a typed header.

The outputs are `<name>/lib<model_name>.a`, `<name>/<model_name>.h` and
`<name>/<model_name>.json` in the package's output directory. Depend on the
target from `cc_library`/`cc_binary`/`cc_test`; the header is reachable as
`"<model_name>.h"` and as `"<name>/<model_name>.h"`.""",
    attrs = {
        "src": attr.label(
            mandatory = True,
            allow_single_file = [".onnx"],
            doc = "The ONNX model (.onnx).",
        ),
        "version": attr.string(
            doc = "Model version X.Y.Z; the major number is part of every exported " +
                  "symbol (<model_name>_v<major>_*). Empty: the compiler's default (0.1.0).",
        ),
        "model_name": attr.string(
            doc = "C identifier naming the model's symbols, header and library. " +
                  "Empty: the target name.",
        ),
        "targets": attr.string_list(
            default = ["cpu"],
            doc = "Back ends, each passed as --target: cpu, cuda, or both in one library " +
                  "([\"cpu\", \"cuda\"]: the header declares the CPU and the CUDA API). " +
                  "test-stub exists for interface tests.",
        ),
        "cuda_archs": attr.string_list(
            doc = "With cuda in targets: GPU architectures to build a cubin for, as compute " +
                  "capabilities (\"80\", \"90\"; \"sm_80\" is accepted too), passed as " +
                  "--cuda-arch sm_80,sm_90. Empty: the compiler's default (sm_80,sm_90).",
        ),
        "cuda_path": attr.string(
            doc = "With cuda in targets: the CUDA toolkit (bin/ptxas, nvvm/libdevice) the " +
                  "compile uses, passed as --cuda-path; an absolute path on the machine " +
                  "that runs the action. Empty: /usr/local/cuda. The toolkit is not an " +
                  "input of the action: changing it does not rerun cached compiles.",
        ),
        "cpu": attr.string(
            doc = "CPU the code is tuned for (--cpu), e.g. x86-64-v3 or skylake-avx512. " +
                  "Empty: the compiler's portable default (x86-64-v2). 'native' makes the " +
                  "output depend on the machine that builds it; avoid it with shared caches.",
        ),
        "opts": attr.string_list(
            doc = "Further compiler flags, e.g. [\"--dim\", \"batch=1\"] or " +
                  "[\"--target-triple\", \"aarch64-unknown-linux-gnu\"]. $(location) of " +
                  "files in `data` is expanded. Flags set through other attributes " +
                  "(-o, --name, --version, --target, --cpu, --cuda-arch, --cuda-path, " +
                  "--emit) are rejected.",
        ),
        "data": attr.label_list(
            allow_files = True,
            doc = "Files the compiler reads besides src (e.g. --bind inputs, external " +
                  "tensor data); they become inputs of the compile action.",
        ),
        "_compiler": attr.label(
            default = Label("//:compiler"),
            executable = True,
            cfg = "exec",
            allow_single_file = True,
        ),
        "_runtime": attr.label(
            default = Label("//:runtime"),
            providers = [CcInfo],
        ),
        "_cc_toolchain": attr.label(
            default = Label("@rules_cc//cc:current_cc_toolchain"),
        ),
    },
    fragments = ["cpp"],
    toolchains = use_cc_toolchain(),
    provides = [CcInfo, NnModelInfo],
)
