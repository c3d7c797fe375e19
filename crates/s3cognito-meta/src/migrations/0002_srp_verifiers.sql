-- SRP verifiers, set with every password: the salt as hex, the verifier sealed with the server's key.
ALTER TABLE users ADD COLUMN srp_salt TEXT;
ALTER TABLE users ADD COLUMN srp_verifier TEXT;
