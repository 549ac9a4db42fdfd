-- The tutorial's data: table "hello" with the one row the apps print.
-- Runs once, in the app's database, when the data is new (the /docker-entrypoint-initdb.d contract);
-- written so that a second run changes nothing.
CREATE TABLE IF NOT EXISTS hello (
    id      integer PRIMARY KEY,
    message text    NOT NULL
);

INSERT INTO hello (id, message)
VALUES (1, 'Hello world')
ON CONFLICT (id) DO NOTHING;
