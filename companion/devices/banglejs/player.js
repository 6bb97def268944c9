// backstretch player for Bangle.js: the hub uploads it over the console, then drives it
// with short tagged calls. Each answer is one JSON line tagged "bs"; the hub reads nothing else.
// Cues arrive as [id, watch time, pattern, step]; each plays on its own timer, so the radio
// never touches a pulse's moment. Kept small: the hub sends it on every watch reset.
var BS={v:"@VERSION@",T:{},P:{},W:{},S:[],E:0,gone:0,
o:function(m){Bluetooth.println(JSON.stringify(m));},
y:function(g){BS.o({bs:"y",g:g,t:getTime()});},
b:function(g){BS.o({bs:"b",g:g,v:E.getBattery()});},
t:function(p,w){BS.P=p;BS.W=w;},
s:function(s,e){BS.S=s;BS.E=e;},
q:function(c){c.forEach(function(x){var d=(x[1]-getTime())*1000;
var o=BS.T[x[0]];if(o){clearTimeout(o);delete BS.T[x[0]];}
if(d<-50){BS.o({bs:"m",i:x[0]});return;}
BS.T[x[0]]=setTimeout(function(){BS.z(x);},d>0?d:0);});},
z:function(x){delete BS.T[x[0]];BS.o({bs:"e",i:x[0],t:getTime()});BS.f(BS.P[x[2]]||[],0);
BS.d(x);if(BS.gone)setTimeout(BS.h,3000);},
f:function(p,i){if(i>=p.length)return;var s=p[i];
Bangle.buzz(s[0],s[2]).then(function(){if(s[1])setTimeout(function(){BS.f(p,i+1);},s[1]);
else BS.f(p,i+1);});},
n:function(p){BS.f(BS.P[p]||[],0);},
c:function(){for(var k in BS.T)clearTimeout(BS.T[k]);BS.T={};},
x:function(){BS.c();BS.E=0;setTimeout(BS.h,3000);},
d:function(x){var l=Math.max(0,Math.round(BS.E-getTime()));g.clear();g.setFontAlign(0,0);
g.setFont("Vector",18);g.drawString(BS.S[x[3]]||"",88,36);
g.setFont("Vector",34);g.drawString(BS.W[x[2]]||"",88,92);
g.setFont("Vector",18);g.drawString(Math.floor(l/60)+":"+("0"+l%60).substr(-2),88,146);
g.flip();},
h:function(){if(!BS.L&&!Object.keys(BS.T).length){BS.L=1;load();}}};
NRF.on("disconnect",function(){BS.gone=1;setTimeout(BS.h,3000);});
NRF.on("connect",function(){BS.gone=0;});
Bangle.setUI({mode:"custom",btn:function(){}});
setWatch(function(e){if(e.state){BS.bd=e.time;return;}
if(e.time-BS.bd>0.6){BS.o({bs:"k",k:"long"});return;}
if(BS.bt){clearTimeout(BS.bt);BS.bt=0;BS.o({bs:"k",k:"double"});}
else BS.bt=setTimeout(function(){BS.bt=0;BS.o({bs:"k",k:"short"});},350);},
BTN1,{edge:"both",repeat:true,debounce:25});
BS.o({bs:"v",v:BS.v});
