# lit configuration for NNModel's IR and tool tests.
import os
import lit.formats

config.name = "NNModel"
config.test_format = lit.formats.ShTest()
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.path.dirname(config.nnm_tools_dir), "test", "lit-out")
config.environment["PATH"] = os.pathsep.join(
    [config.nnm_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%cc", config.cc))
config.substitutions.append(("%runtime_include", config.runtime_include))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "compiler", "Inputs")))
