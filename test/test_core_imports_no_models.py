"""``siam_tracker_ros.core`` (maths, tracking logic, types) imports nothing from the layers above
it: not ``models``, ``data``, ``build``, ``evaluation``, ``training``, ``cli`` or ``ros``.

Static: every core module's source is parsed and every import statement counts, including the
lazy ones inside functions (the trackers get their networks injected by ``build``). A new core
module is covered automatically.
"""
from package_imports import PACKAGE, edges_of, import_graph, module_files, subpackage

FORBIDDEN = ("models", "data", "build", "evaluation", "training", "cli", "ros")


def test_no_core_module_imports_models_data_build_or_an_application_layer():
    graph = import_graph()
    core = [m for m in graph if subpackage(m) == "core"]
    assert f"{PACKAGE}.core.siamrpn" in core and f"{PACKAGE}.core.longterm" in core
    wrong = [f"{module} line {line}: imports {target}"
             for module in core for target, line in graph[module].items()
             if subpackage(target) in FORBIDDEN]
    assert wrong == [], "core must not import the layers above it:\n" + "\n".join(wrong)


def test_the_scan_sees_lazy_and_relative_imports_inside_functions():
    """Guard against a scan that silently sees nothing."""
    source = ("import numpy\n"
              "def network(model):\n"
              "    from ..models.backends import prepare_network\n"
              "    from . import tracker\n"
              "    return prepare_network(model)\n")
    known = module_files()
    edges = edges_of(source, f"{PACKAGE}.core.siamrpn", False, known)
    assert edges == {(3, f"{PACKAGE}.models.backends"), (4, f"{PACKAGE}.core.tracker")}
