"""Optional and external pre-labellers: sentence embeddings (extra ``crowdloop[ai]``) and
a Label Studio-compatible HTTP model server. Heavy imports happen inside functions."""
