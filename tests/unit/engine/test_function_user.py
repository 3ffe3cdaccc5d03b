"""``LAMINA_FUNCTION_USER`` as the zygote receives it: ids of each environment's own by
default, fixed ids when given, root's when asked for."""

from __future__ import annotations

from lamina.engine.launch import function_user


def test_the_default_is_ids_of_each_environments_own() -> None:
    assert function_user("") == [-1, -1]


def test_fixed_ids_with_or_without_a_group() -> None:
    assert function_user("993:990") == [993, 990]
    assert function_user("65534") == [65534, 65534]


def test_root_keeps_roots_id() -> None:
    assert function_user("root") == [] and function_user("0") == []
