"""Argon2id with OWASP's recommended minimum cost (m=19 MiB, t=2, p=1).

Django's default Argon2 parameters (100 MiB, p=8) take ~130 ms per check on the
two-core machines we run on; a shop-floor terminal signs often, and the seed signs
hundreds of demo records. OWASP's parameters keep Argon2id's memory-hardness at
a fifth of the cost.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QualifyArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"  # same prefix: hashes stay readable by Django's Argon2 hasher
    time_cost = 2
    memory_cost = 19456
    parallelism = 1
