"""Bzlmod: the `nnmodel` module extension declares @nnmodel_prebuilt (compiler + runtime).

MODULE.bazel of a project that uses NNModel:

    bazel_dep(name = "nnmodel", version = "0.1.0")
    local_path_override(module_name = "nnmodel", path = "/path/to/nnmodel")

    nnmodel = use_extension("@nnmodel//bazel:extensions.bzl", "nnmodel")
    nnmodel.prebuilt(prefix = "/opt/nnmodel")   # optional, see nnmodel_repository

Only the root module's `prebuilt` tag counts; without one the extension uses
$NNMODEL_PREFIX, else the nnmodel checkout's build/ directory, else the prefix the
rules are installed in.
"""

load(":repositories.bzl", "PREBUILT_REPOSITORY", "nnmodel_repository")

_prebuilt = tag_class(
    doc = "Where the NNModel compiler and runtime are (see nnmodel_repository).",
    attrs = {
        "prefix": attr.string(),
        "compiler": attr.string(),
        "runtime_library": attr.string(),
        "runtime_include_dir": attr.string(),
    },
)

def _nnmodel_impl(module_ctx):
    chosen = None
    for mod in module_ctx.modules:
        for tag in mod.tags.prebuilt:
            if not mod.is_root:
                continue
            if chosen:
                fail("nnmodel.prebuilt: give it once, in the root module")
            chosen = tag
    kwargs = {}
    if chosen:
        kwargs = dict(
            prefix = chosen.prefix,
            compiler = chosen.compiler,
            runtime_library = chosen.runtime_library,
            runtime_include_dir = chosen.runtime_include_dir,
        )
    nnmodel_repository(name = PREBUILT_REPOSITORY, **kwargs)

nnmodel = module_extension(
    implementation = _nnmodel_impl,
    tag_classes = {"prebuilt": _prebuilt},
)
