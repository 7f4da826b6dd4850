"""The networks: plain ``nn.Module``s (torch only) and the frame contract they are run behind.

Running them is a backend's job (:mod:`models.backends`); what each network needs is recorded in
:mod:`models.registry`.
"""
