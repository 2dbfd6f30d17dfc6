#!/bin/sh
# Creates an empty data directory with a `labs` user (password from LABS_PASSWORD), then runs the server.
set -e
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
mariadb-install-db --user=mysql --datadir=/var/lib/mysql --auth-root-authentication-method=socket --skip-test-db >/dev/null
cat > /tmp/init.sql <<SQL
CREATE DATABASE labs;
CREATE USER 'labs'@'%' IDENTIFIED BY '${LABS_PASSWORD:-labs}';
GRANT ALL ON *.* TO 'labs'@'%';
SQL
exec mariadbd --user=mysql --init-file=/tmp/init.sql
