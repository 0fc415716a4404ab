-- One database per service: they share a server here, never tables.
CREATE DATABASE users;
CREATE DATABASE orders;
-- The bus database of the PostgreSQL transport (docker-compose.pg-transport.yml); unused on Kafka.
CREATE DATABASE bus;
