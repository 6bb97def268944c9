// backstretch player for Bangle.js: the hub uploads it over the console, then drives it
// with short tagged calls. Each answer is one JSON line tagged "bs"; the hub reads nothing else.
// Cues arrive as [id, watch time, pattern, step]; each plays on its own timer, so the radio
// never touches a pulse's moment. Kept small: the hub sends it on every watch reset.
// T: cue timers by id; P: buzz steps by pattern; W: screen words; S: step titles; E: end time.
var BS={v:"@VERSION@",T:{},P:{},W:{},S:[],E:0,G:0,
o:m=>Bluetooth.println(JSON.stringify(m)),
// Answers: a clock ping (tagged g), the battery.
y:g=>BS.o({bs:"y",g:g,t:getTime()}),
b:g=>BS.o({bs:"b",g:g,v:E.getBattery()}),
t:(p,w)=>{BS.P=p;BS.W=w;},
s:(s,e)=>{BS.S=s;BS.E=e;},
// Load cues: a cue already past is reported missed (the hub re-syncs); a known id is replaced.
q:c=>c.forEach(x=>{var d=(x[1]-getTime())*1000,i=x[0];
if(BS.T[i])clearTimeout(BS.T[i]);delete BS.T[i];
if(d<-50)return BS.o({bs:"m",i:i});
BS.T[i]=setTimeout(()=>BS.z(x),d>0?d:0);}),
// A cue's moment: report it with the watch time, buzz, draw.
z:x=>{delete BS.T[x[0]];BS.o({bs:"e",i:x[0],t:getTime()});BS.f(BS.P[x[2]]||[],0);BS.d(x);
if(BS.G)setTimeout(BS.h,3000);},
// Steps are [on ms, gap ms, strength]; a step with no gap runs into the next.
f:(p,i)=>{var s=p[i];if(s)Bangle.buzz(s[0],s[2]).then(()=>s[1]?setTimeout(()=>BS.f(p,i+1),s[1]):BS.f(p,i+1));},
n:p=>BS.f(BS.P[p]||[],0),
c:()=>{for(var k in BS.T)clearTimeout(BS.T[k]);BS.T={};},
x:()=>{BS.c();BS.E=0;setTimeout(BS.h,3000);},
d:x=>{var l=Math.max(0,Math.round(BS.E-getTime()));
g.clear().setFontAlign(0,0).setFont("Vector",18).drawString(BS.S[x[3]]||"",88,36)
.setFont("Vector",34).drawString(BS.W[x[2]]||"",88,92)
.setFont("Vector",18).drawString((l/60|0)+":"+("0"+l%60).substr(-2),88,146).flip();},
// Back to the clock face once nothing is left to play (and only once).
h:()=>{if(!BS.L&&!Object.keys(BS.T).length){BS.L=1;load();}}};
NRF.on("disconnect",()=>{BS.G=1;setTimeout(BS.h,3000);});
NRF.on("connect",()=>{BS.G=0;});
Bangle.setUI({mode:"custom",btn:()=>{}});
// The button: held over 0.6 s is long; a second press within 350 ms is double.
setWatch(e=>{if(e.state)return BS.bd=e.time;
if(e.time-BS.bd>0.6)return BS.o({bs:"k",k:"long"});
if(BS.bt){clearTimeout(BS.bt);BS.bt=0;BS.o({bs:"k",k:"double"});}
else BS.bt=setTimeout(()=>{BS.bt=0;BS.o({bs:"k",k:"short"});},350);},
BTN1,{edge:"both",repeat:true,debounce:25});
BS.o({bs:"v",v:BS.v});
