-- One database per service: they share a server here, never tables.
CREATE DATABASE users;
CREATE DATABASE orders;
