# Reads TAP on stdin with Perl's TAP::Parser (what prove runs) and prints what
# it understood as JSON: the version, plan, passed and failed test numbers,
# parse errors, every test point and the YAML diagnostics after each. Run by
# report/consumers_test.go.
use strict;
use warnings;
use TAP::Parser;
use JSON::PP;

local $/;
my $tap = <STDIN>;
utf8::decode($tap) or die "the TAP is not UTF-8\n";
my $parser = TAP::Parser->new( { tap => $tap } );
my ( @asserts, %yaml, $last );
while ( my $result = $parser->next ) {
    if ( $result->is_test ) {
        ( my $name = $result->description ) =~ s/^- //;
        push @asserts, { id => $result->number + 0, ok => $result->is_actual_ok ? JSON::PP::true : JSON::PP::false, name => $name };
        $last = $result->number;
    }
    elsif ( $result->is_yaml ) {
        $yaml{$last} = $result->data;
    }
}
print JSON::PP->new->utf8->canonical->encode( {
    version      => $parser->version + 0,
    plan         => $parser->plan,
    passed       => [ map { $_ + 0 } $parser->passed ],
    failed       => [ map { $_ + 0 } $parser->failed ],
    parse_errors => [ $parser->parse_errors ],
    asserts      => \@asserts,
    yaml         => \%yaml,
} ), "\n";
