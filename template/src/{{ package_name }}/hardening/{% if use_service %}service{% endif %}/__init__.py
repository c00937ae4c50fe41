"""The model service (`make serve`): FastAPI on uvicorn, deny by default.

``serving.py`` (yours) says what to serve with a ``ServiceModel`` and starts
it with ``run_service``, both from the hardening API; docs: The service.
The modules are imported only by what needs them: the other commands never
load the web framework.
"""
