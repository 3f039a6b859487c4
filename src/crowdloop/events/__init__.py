"""Domain events: a transactional outbox, in-transaction reactions and after-commit subscribers.

A domain publishes a fact with :func:`crowdloop.events.service.publish` inside its unit of
work; the row is written in the same transaction as the change, so a crash can neither
lose the event of a committed change nor announce a rolled-back one. Reacting domains
register on a :class:`crowdloop.events.bus.Bus` built once in the wiring
(``crowdloop.wiring``); the publisher never imports them.
"""
