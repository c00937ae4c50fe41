"""Tests of the template's hardening code: kept up to date by `copier update`.

Put your own tests in tests/, next to this folder, not in it.
"""
