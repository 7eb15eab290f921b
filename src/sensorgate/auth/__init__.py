"""Who is calling and what they may do: the Principal, the scopes, the refusal reasons, and the guard.

The domains import the small types here (Principal, Scope, Refusal). The guard turns a request's credential
into a Principal by calling the verifiers of credentials/, the sessions of accounts/ and the limits of usage/;
it knows them only by the interfaces it declares (guard.py), and app.py hands it the real objects, so that no
package here imports a domain.
"""
