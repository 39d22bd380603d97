"""What arb must know per venue that ccxt does not unify."""
