"""What the tests share, one module per job (plain functions; the few fixtures live in
`people` and are registered by tests/conftest.py):

- `apps`: `make_app` (a Parley app on a test database) and the database backends;
- `factories`: people, friendships, groups and their members, messages, straight through the
  services (each takes the app and ids, returns ids); PASSWORD, every account's password;
- `login`: CSRF tokens, `AuthActions`, `login_client` (the real /login form) and
  `quick_client` (a session started directly: the fast way to an API browser);
- `people`: the fixtures of four people (`alice_and_friends`), their conversations and browsers;
- `showcase`: a small world with something on every main page, for the layout and
  accessibility browser tests;
- `api`: calls a logged-in browser makes (send a message, recall, favorite) and `assert_error`;
- `events`: what a person's event log holds;
- `uploads`: images and files to upload, and a look into the upload folder;
- `pages`: the profile page's forms and errors;
- `mail`: a real SMTP server collecting mail;
- `servers`: free ports, skipping without a service, and Parley under a real gunicorn (`Server`);
- `streams`: a real SSE client (`EventStream`) and `Person`, an account with a token.
"""
