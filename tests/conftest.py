pytest_plugins = [
    "tests.fixtures.core",
    "tests.fixtures.linesim",
    "tests.fixtures.line",
    "tests.fixtures.browser",
    "tests.fixtures.phone",
    "tests.fixtures.ops",
]
