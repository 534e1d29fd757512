"""Hooks the quality services fire inside their transaction (see qualify.hooks).

The output layer (webhooks) subscribes; a handler's exception rolls the change back.
"""

from qualify.hooks import Hook

# kwargs: actor, capa (Capa, closed and signed)
capa_closed = Hook("quality.capa_closed")
# kwargs: actor, change_control (ChangeControl, closed and signed)
change_control_closed = Hook("quality.change_control_closed")
# Fired for a reported deviation and for one the batch gate opens (E1), after its
# people, documents and qualification snapshot are written.
# kwargs: actor, deviation (Deviation)
deviation_created = Hook("quality.deviation_created")
# kwargs: actor, action (CapaAction, saved with its owner, people and job functions)
capa_action_added = Hook("quality.capa_action_added")
