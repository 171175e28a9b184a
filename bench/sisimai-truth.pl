#!/usr/bin/env perl
# Ground truth for bench/bounce-corpus.ts: runs the reference Sisimai (from a p5-sisimai checkout)
# over set-of-emails' maildir/{bsd,mac,dos} and prints, per file, what Sisimai reads in it.
# Usage: perl bench/sisimai-truth.pl <p5-sisimai dir> <set-of-emails dir> > truth.json
# Both are third-party and stay outside this repository.
use strict; use warnings;
BEGIN {
    # Sisimai needs Class::Accessor::Lite (not in core Perl); this minimal stand-in covers what it uses.
    $INC{'Class/Accessor/Lite.pm'} = __FILE__;
    package Class::Accessor::Lite;
    sub import {
        my (undef, %args) = @_;
        my $pkg = caller;
        no strict 'refs';
        *{"${pkg}::new"} = sub { my $c = shift; bless { @_ == 1 ? %{ $_[0] } : @_ }, $c } if $args{new};
        for my $n (map { @{ $args{$_} || [] } } qw(rw ro wo)) {
            *{"${pkg}::$n"} = sub { my $s = shift; $s->{$n} = $_[0] if @_; $s->{$n} };
        }
    }
}
use JSON::PP;
my ($sisimai, $corpus) = @ARGV;
die "usage: perl bench/sisimai-truth.pl <p5-sisimai dir> <set-of-emails dir>\n" unless $sisimai && $corpus && -d "$corpus/maildir";
unshift @INC, "$sisimai/lib";
require Sisimai;
my %out;
for my $sub (qw(bsd mac dos)) {
    my $dir = "$corpus/maildir/$sub";
    next unless -d $dir;
    opendir my $d, $dir or die "$dir: $!\n";
    for my $f (sort grep { /\.eml$/ } readdir $d) {
        my $path = "$dir/$f";
        if ($sub eq 'mac') {
            # Sisimai reads no bare-CR files; it judges a LF copy (reading CR ourselves is the point).
            open my $in, '<:raw', $path or die "$path: $!\n";
            local $/; (my $text = <$in>) =~ s/\r\n?/\n/g;
            $path = "/tmp/sisimai-truth-$$.eml";
            open my $out, '>:raw', $path or die "$path: $!\n"; print $out $text; close $out;
        }
        my $facts = eval { Sisimai->rise($path, 'delivered' => 1, 'vacation' => 1) } || [];
        $out{"$sub/$f"} = [ map { {
            recipient => $_->recipient->address, reason => $_->reason, status => $_->deliverystatus,
            action => $_->action, command => $_->smtpcommand, feedbacktype => $_->feedbacktype,
        } } @$facts ];
    }
}
unlink "/tmp/sisimai-truth-$$.eml";
print JSON::PP->new->ascii->canonical->pretty->encode(\%out);
