#!/usr/bin/perl
# Answers every HTTP request on :8080 with "hello from <hostname>".
use strict;
use warnings;
use IO::Socket::INET;

my $server = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die "listen: $!";
chomp(my $host = `hostname`);
while (my $c = $server->accept) {
  while (my $line = <$c>) { last if $line =~ /^\r?\n$/ }
  my $body = "hello from $host\n";
  print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
  close $c;
}
